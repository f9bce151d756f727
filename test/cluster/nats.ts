// Debian's nats-server with JetStream (-js) for tests and benchmarks: file storage under a
// temporary directory, on a 127.0.0.1 port; stopped and started again on the same port with
// the same streams (an outage), never left running.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '../sinks/servers/ports.js';

export class NatsServer {
  private proc?: ChildProcess;
  port = 0;
  readonly dir: string;

  constructor(dir?: string) {
    this.dir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-nats-'));
    fs.mkdirSync(this.dir, { recursive: true });
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const p = spawn('nats-server', ['-js', '-sd', path.join(this.dir, 'js'), '-a', '127.0.0.1', '-p', String(this.port), '-l', path.join(this.dir, 'nats.log')], { stdio: 'ignore' });
    this.proc = p;
    let exited = false;
    p.once('exit', () => (exited = true));
    await waitFor(
      () =>
        new Promise<boolean>((resolve, reject) => {
          if (exited) return reject(new Error(`nats-server exited; see ${this.dir}/nats.log`));
          const s = net.connect(this.port, '127.0.0.1');
          s.once('data', (d) => {
            s.destroy();
            resolve(d.toString().startsWith('INFO'));
          });
          s.once('error', () => resolve(false));
        }),
      20_000,
      'nats-server',
    );
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(t);
    this.proc = undefined;
  }

  async remove(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
