// Reading values straight out of a line's bytes. Cloud flow logs arrive by the million, so a
// field is parsed where it lies in the buffer: no split, no regex, no string per value.

/** The value of an unsigned decimal token, or -1 when it is not one (or exceeds 2^53). */
export function parseUint(b: Uint8Array, s: number, e: number): number {
  if (s >= e || e - s > 16) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = b[i] - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v <= Number.MAX_SAFE_INTEGER ? v : -1;
}

/** A dotted-quad IPv4 address as a u32, or -1. */
export function parseV4Bytes(b: Uint8Array, s: number, e: number): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9 || digits === 3) return -1;
      part = part * 10 + d;
      if (part > 255) return -1;
      digits++;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + part;
}

/** True when the token is exactly the ASCII text `t` (t must be ASCII). */
export function tokenIs(b: Uint8Array, s: number, e: number, t: string): boolean {
  if (e - s !== t.length) return false;
  for (let i = 0; i < t.length; i++) if (b[s + i] !== t.charCodeAt(i)) return false;
  return true;
}

/** True when the token contains byte `c`. */
export function tokenHas(b: Uint8Array, s: number, e: number, c: number): boolean {
  for (let i = s; i < e; i++) if (b[i] === c) return true;
  return false;
}

const decoder = new TextDecoder();

/** The token as a string (slow path: new dictionary values, IPv6, error messages). */
export function tokenText(b: Uint8Array, s: number, e: number): string {
  return decoder.decode(b.subarray(s, e));
}

/** The bytes of a string, for feeding text from JSON wrappers into the byte parsers. */
export function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}
