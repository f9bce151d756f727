// A command's output streams kept as text, for tests that run CLI verbs in process.
import { Writable } from 'node:stream';
import type { Io } from '../../src/cli/args.js';

export function captureIo(): { io: Io; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        add(String(chunk));
        cb();
      },
    });
  return { io: { out: sink((s) => (out += s)), err: sink((s) => (err += s)) }, out: () => out, err: () => err };
}
