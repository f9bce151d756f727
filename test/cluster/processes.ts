// flowlogs roles as child processes (through role.ts, in this build's language: the compiled
// JavaScript under dist/, or TypeScript under tsx), with their stderr kept for diagnosis.

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const roleScript = path.join(path.dirname(here), `role${path.extname(here)}`);

export class RoleProcess {
  readonly proc: ChildProcess;
  log = '';
  private exit: Promise<number | null>;

  constructor(
    readonly name: string,
    args: string[],
    env: Record<string, string> = {},
  ) {
    this.proc = spawn(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), roleScript, ...args], {
      env: { ...process.env, FLOWLOGS_LOG_LEVEL: process.env.FLOWLOGS_LOG_LEVEL ?? 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.log += d.toString();
      if (this.log.length > 1 << 20) this.log = this.log.slice(-(1 << 19));
    });
    this.exit = new Promise((r) => this.proc.once('exit', (code) => r(code)));
  }

  /** Waits for a line of stderr matching `re`; fails if the process exits first. */
  async waitFor(re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.log);
      if (m) return m;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`${this.name} exited (${this.proc.exitCode ?? this.proc.signalCode}):\n${this.log.slice(-3000)}`);
      if (Date.now() > until) throw new Error(`${this.name}: no ${re} within ${timeoutMs} ms:\n${this.log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  kill9(): Promise<number | null> {
    this.proc.kill('SIGKILL');
    return this.exit;
  }

  /** SIGTERM (a clean stop), then SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<number | null> {
    if (!this.running) return this.exit;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    const code = await this.exit;
    clearTimeout(t);
    return code;
  }
}

export async function api(base: string, pathAndQuery: string, body?: unknown): Promise<unknown> {
  const r = await fetch(`${base}${pathAndQuery}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${pathAndQuery}: HTTP ${r.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}
