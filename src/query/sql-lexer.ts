// Tokens of the SQL part. Anything that could smuggle a second statement or hide text from
// the checks (semicolons, comments, `::` casts, parameters, backquotes) is rejected here, at
// the character where it starts.

import { clip, fail } from './errors.js';

export type TokenKind = 'word' | 'qident' | 'num' | 'str' | 'op' | 'end';

export interface Token {
  kind: TokenKind;
  /** Words as typed; identifiers and strings unquoted; operators as written. */
  text: string;
  /** Uppercased text for words, to compare with keywords. */
  upper: string;
  pos: number;
  /** Offset just past the token. */
  end: number;
}

const TWO_CHAR = new Set(['<=', '>=', '<>', '!=', '||']);
const ONE_CHAR = new Set(['=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',']);
const NUMBER = /[0-9]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?/y;

function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWordChar(c: number): boolean {
  return isWordStart(c) || isDigit(c);
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029 || (c >= 0x2000 && c <= 0x200a) || c === 0x1680 || c === 0x202f || c === 0x205f || c === 0x3000;
}

export function tokenize(s: string, start: number, end = s.length): Token[] {
  const out: Token[] = [];
  let i = start;
  const push = (kind: TokenKind, text: string, pos: number, to: number) => out.push({ kind, text, upper: kind === 'word' ? text.toUpperCase() : text, pos, end: to });
  while (i < end) {
    const code = s.charCodeAt(i);
    if (isSpace(code)) {
      i++;
      continue;
    }
    const c = s[i];
    const c2 = s[i + 1];
    if ((c === '-' && c2 === '-') || (c === '/' && c2 === '*')) fail(i, 'comments are not allowed in a query');
    if (c === ';') fail(i, "';' is not allowed: the SQL part is a single SELECT over flows");
    if (c === ':' && c2 === ':') fail(i, "'::' casts are not supported; write CAST(x AS type)");
    if (isWordStart(code)) {
      let j = i + 1;
      while (j < end && isWordChar(s.charCodeAt(j))) j++;
      if (j < end && (s[j] === '$' || s[j] === '.')) fail(j, `unexpected '${s[j]}' after '${clip(s.slice(i, j))}'${s[j] === '.' ? ' (columns are named without a table prefix)' : ''}`);
      push('word', s.slice(i, j), i, j);
      i = j;
      continue;
    }
    if (isDigit(code) || (c === '.' && isDigit(s.charCodeAt(i + 1)))) {
      const m = NUMBER;
      m.lastIndex = i;
      const text = m.exec(s)![0];
      const j = i + text.length;
      if (j < end && (isWordChar(s.charCodeAt(j)) || s[j] === '.')) fail(i, `'${clip(s.slice(i, j + 1))}' is not a number`);
      push('num', text, i, j);
      i = j;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      for (;;) {
        const close = s.indexOf(c, j);
        if (close < 0 || close >= end) fail(i, c === "'" ? "unterminated string (missing closing ')" : 'unterminated quoted name (missing closing ")');
        text += s.slice(j, close);
        if (s[close + 1] === c && close + 1 < end) {
          text += c;
          j = close + 2;
          continue;
        }
        j = close;
        break;
      }
      if (c === '"' && text === '') fail(i, 'empty quoted name ""');
      push(c === "'" ? 'str' : 'qident', text, i, j + 1);
      i = j + 1;
      continue;
    }
    const op = c2 !== undefined && TWO_CHAR.has(c + c2) ? c + c2 : ONE_CHAR.has(c) ? c : undefined;
    if (op) {
      push('op', op, i, i + op.length);
      i += op.length;
      continue;
    }
    fail(i, `unexpected character '${c}'`);
  }
  out.push({ kind: 'end', text: '', upper: '', pos: end, end });
  return out;
}
