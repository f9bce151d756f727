// Debian's nats-server with JetStream (-js), file storage in a temporary directory, on
// 127.0.0.1: started, stopped and started again on the same port with the same streams.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort, waitFor } from './ports.js';

export class NatsServer {
  private proc?: ChildProcess;
  port = 0;

  constructor(readonly dir: string) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const p = spawn('nats-server', ['-js', '-sd', this.dir, '-a', '127.0.0.1', '-p', String(this.port), '--http_port', '0'], { stdio: 'ignore' });
    this.proc = p;
    let exited = false;
    p.once('exit', () => (exited = true));
    await waitFor(
      () =>
        new Promise<boolean>((resolve, reject) => {
          if (exited) return reject(new Error('nats-server exited'));
          const s = net.connect(this.port, '127.0.0.1');
          s.once('data', (d) => {
            s.destroy();
            resolve(d.toString().startsWith('INFO'));
          });
          s.once('error', () => resolve(false));
        }),
      15_000,
      'nats-server',
    );
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(t);
    this.proc = undefined;
  }
}
