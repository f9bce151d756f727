// One error class for every problem with an inventory file, so that a command can print the
// message as one line and exit 2 without knowing which check failed.

import { InputError } from '../util/errors.js';

export type PathPart = string | number;

/** `enis[12].security_groups[0]` from ['enis', 12, 'security_groups', 0]. */
export function formatPath(parts: readonly PathPart[]): string {
  let s = '';
  for (const p of parts) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s;
}

export class InventoryError extends InputError {
  override readonly name: string = 'InventoryError';

  constructor(
    /** The file as the caller named it. */
    readonly file: string,
    /** Where in the file, e.g. `enis[12].subnet`; empty when the problem is the whole file. */
    readonly path: string,
    readonly problem: string,
    /** 1-based line of the offending value, when known. */
    readonly line?: number,
  ) {
    const where = path ? `${file}: ${path}` : file;
    super(`${where}: ${problem}${line ? ` (line ${line})` : ''}`.replace(/\s*\n\s*/g, ' '));
  }
}
