// Debian's clickhouse-server (18.16) on 127.0.0.1 with its data in a temporary directory,
// for tests: started, stopped and started again on the same port with the same data.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, waitFor } from './ports.js';

export class ClickhouseServer {
  private proc?: ChildProcess;
  httpPort = 0;
  private tcpPort = 0;

  constructor(readonly dir: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  private writeConfig(): string {
    const d = this.dir;
    for (const sub of ['data', 'tmp', 'user_files', 'format_schemas']) fs.mkdirSync(path.join(d, sub), { recursive: true });
    fs.writeFileSync(
      path.join(d, 'users.xml'),
      `<?xml version="1.0"?><yandex><profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>` +
        `<users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>` +
        `<quotas><default></default></quotas></yandex>\n`,
    );
    const cfg = path.join(d, 'config.xml');
    fs.writeFileSync(
      cfg,
      `<?xml version="1.0"?><yandex>` +
        `<logger><level>warning</level><log>${d}/server.log</log><errorlog>${d}/error.log</errorlog><console>0</console></logger>` +
        `<http_port>${this.httpPort}</http_port><tcp_port>${this.tcpPort}</tcp_port><listen_host>127.0.0.1</listen_host>` +
        `<path>${d}/data/</path><tmp_path>${d}/tmp/</tmp_path><user_files_path>${d}/user_files/</user_files_path>` +
        `<format_schema_path>${d}/format_schemas/</format_schema_path><users_config>${d}/users.xml</users_config>` +
        `<default_profile>default</default_profile><default_database>default</default_database>` +
        `<mark_cache_size>268435456</mark_cache_size><max_concurrent_queries>50</max_concurrent_queries></yandex>\n`,
    );
    return cfg;
  }

  async start(): Promise<void> {
    if (!this.httpPort) {
      this.httpPort = await freePort();
      this.tcpPort = await freePort();
    }
    const cfg = this.writeConfig();
    this.proc = spawn('clickhouse-server', [`--config-file=${cfg}`], { stdio: 'ignore' });
    const p = this.proc;
    let exited = false;
    p.once('exit', () => (exited = true));
    await waitFor(
      async () => {
        if (exited) throw new Error(`clickhouse-server exited; see ${this.dir}/error.log`);
        const r = await fetch(`${this.url}/ping`);
        return r.ok;
      },
      30_000,
      'clickhouse-server',
    );
  }

  async query(sql: string): Promise<string> {
    const r = await fetch(`${this.url}/?query=${encodeURIComponent(sql)}`, { method: 'POST' });
    const text = await r.text();
    if (!r.ok) throw new Error(`ClickHouse: ${text}`);
    return text;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(t);
    this.proc = undefined;
  }
}
