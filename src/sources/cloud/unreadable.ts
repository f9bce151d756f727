// A file that cannot be read as a flow log at all (damaged gzip, a Parquet file of something
// else). It fails that file, not the whole import.

export class UnreadableFile extends Error {
  override readonly name = 'UnreadableFile';
}

export function isUnreadable(e: unknown): boolean {
  if (e instanceof UnreadableFile) return true;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
