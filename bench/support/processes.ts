// Child processes and ports for benchmarks that run a peer tool or our own server beside them.

import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';

export function waitForLine(p: ChildProcess, re: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}: ${buf.slice(-500)}`)), timeoutMs);
    const on = (d: Buffer) => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    p.stdout?.on('data', on);
    p.stderr?.on('data', on);
  });
}

export function freeUdpPort(): Promise<number> {
  return new Promise((r) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => r(p));
    });
  });
}

export async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await done;
}
