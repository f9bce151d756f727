// Errors that reach the user. An InputError is the user's to fix (bad flag, bad file, a data
// directory that is not ours): the CLI prints its one-line message and exits 2. Anything else
// is a runtime failure (exit 1).

export class InputError extends Error {
  override readonly name: string = 'InputError';
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError || (e instanceof Error && e.name === 'InputError');
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
