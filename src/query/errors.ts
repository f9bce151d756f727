// A mistake in a query, located: `position` is the offset of the offending character and the
// message starts with its column, so the CLI, the API and the console can point at it.

import { InputError } from '../util/errors.js';
import { closest, didYouMean } from '../util/suggest.js';

export class QuerySyntaxError extends InputError {
  /** 0-based offset into the query text. */
  readonly position: number;
  /** 1-based column, as printed in the message. */
  readonly column: number;
  /** The message without the `col N: ` prefix. */
  readonly reason: string;

  constructor(position: number, reason: string) {
    super(`col ${position + 1}: ${reason}`);
    this.position = position;
    this.column = position + 1;
    this.reason = reason;
  }
}

export function isQuerySyntaxError(e: unknown): e is QuerySyntaxError {
  return e instanceof QuerySyntaxError;
}

export function fail(position: number, reason: string): never {
  throw new QuerySyntaxError(position, reason);
}

/** User text quoted back in a message, cut short when long. */
export function clip(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** ", did you mean 'x'?" for a near name; skipped for long words, where it is slow and useless. */
export function suggestion(word: string, candidates: readonly string[]): string {
  return word.length > 40 ? '' : didYouMean(word, candidates);
}

/** The near name itself, or undefined. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  return word.length > 40 ? undefined : closest(word, candidates);
}
