// Flag parsing shared by every verb: node's parseArgs in strict mode, with its errors turned
// into one clear line (exit 2).

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../util/errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * `--from -15m` reads as a flag followed by a relative time, not as two flags: values that
 * look like negative numbers are joined to the string option before them.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name && !name.includes('=') && options[name]?.type === 'string' && i + 1 < argv.length && /^-\d/.test(argv[i + 1])) {
      out.push(`${a}=${argv[++i]}`);
    } else out.push(a);
  }
  return out;
}

export function parseFlags(verb: string, argv: string[], options: Options, allowPositionals = true): Parsed {
  try {
    const r = parseArgs({ args: joinNegativeValues(argv, options), options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, '');
    throw new InputError(`flowlogs ${verb}: ${msg}`);
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function num(p: Parsed, name: string, verb: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new InputError(`flowlogs ${verb}: --${name} must be a number, got '${v}'`);
  return Number(v);
}

export function int(p: Parsed, name: string, verb: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InputError(`flowlogs ${verb}: --${name} must be a whole number from ${min} to ${max}, got '${v}'`);
  return Number(v);
}

export function bool(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

export function list(p: Parsed, name: string): string[] {
  const v = p.values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [String(v)]).flatMap((x) => x.split(',')).filter((x) => x !== '');
}

export function oneOf<T extends string>(p: Parsed, name: string, verb: string, allowed: readonly T[], dflt: T): T {
  const v = str(p, name) ?? dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new InputError(`flowlogs ${verb}: --${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** Standard streams, so tests can run verbs in-process. */
export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export interface Verb {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: Io): Promise<number>;
}
