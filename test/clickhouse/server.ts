// ClickHouse servers for tests and benchmarks: Debian's clickhouse-server (18.16) started on
// 127.0.0.1 ports with its own config and data under a temporary directory (never the system
// service), alone or as the shards of a cluster that every server's remote_servers names.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '../sinks/servers/ports.js';

export interface ShardAddress {
  tcpPort: number;
}

export class ClickHouseServer {
  private proc?: ChildProcess;
  httpPort = 0;
  tcpPort = 0;
  /** The remote_servers cluster this server knows (its shards' TCP ports), if any. */
  cluster?: { name: string; shards: ShardAddress[]; shardIndex: number };

  constructor(readonly dir: string) {}

  get endpoint(): string {
    return `127.0.0.1:${this.httpPort}`;
  }

  get httpUrl(): string {
    return `http://${this.endpoint}`;
  }

  async allocatePorts(): Promise<void> {
    if (!this.httpPort) this.httpPort = await freePort();
    if (!this.tcpPort) this.tcpPort = await freePort();
  }

  private writeConfig(): string {
    const d = this.dir;
    for (const sub of ['data', 'tmp', 'user_files', 'format_schemas']) fs.mkdirSync(path.join(d, sub), { recursive: true });
    fs.writeFileSync(
      path.join(d, 'users.xml'),
      `<?xml version="1.0"?><yandex><profiles><default><max_memory_usage>8000000000</max_memory_usage></default></profiles>` +
        `<users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>` +
        `<quotas><default></default></quotas></yandex>\n`,
    );
    let cluster = '';
    if (this.cluster) {
      const shards = this.cluster.shards.map((s) => `<shard><replica><host>127.0.0.1</host><port>${s.tcpPort}</port></replica></shard>`).join('');
      cluster =
        `<remote_servers><${this.cluster.name}>${shards}</${this.cluster.name}></remote_servers>` +
        `<macros><shard>${this.cluster.shardIndex + 1}</shard><replica>r1</replica></macros>`;
    }
    const cfg = path.join(d, 'config.xml');
    fs.writeFileSync(
      cfg,
      `<?xml version="1.0"?><yandex>` +
        `<logger><level>warning</level><log>${d}/server.log</log><errorlog>${d}/error.log</errorlog><console>0</console></logger>` +
        `<http_port>${this.httpPort}</http_port><tcp_port>${this.tcpPort}</tcp_port><listen_host>127.0.0.1</listen_host>` +
        `<path>${d}/data/</path><tmp_path>${d}/tmp/</tmp_path><user_files_path>${d}/user_files/</user_files_path>` +
        `<format_schema_path>${d}/format_schemas/</format_schema_path><users_config>${d}/users.xml</users_config>` +
        `<default_profile>default</default_profile><default_database>default</default_database>` +
        `<mark_cache_size>268435456</mark_cache_size><max_concurrent_queries>100</max_concurrent_queries>${cluster}</yandex>\n`,
    );
    return cfg;
  }

  async start(): Promise<void> {
    await this.allocatePorts();
    const cfg = this.writeConfig();
    const p = spawn('clickhouse-server', [`--config-file=${cfg}`], { stdio: 'ignore' });
    this.proc = p;
    let exited = false;
    p.once('exit', () => (exited = true));
    await waitFor(
      async () => {
        if (exited) throw new Error(`clickhouse-server exited; see ${this.dir}/error.log`);
        return (await fetch(`${this.httpUrl}/ping`)).ok;
      },
      60_000,
      'clickhouse-server',
    );
  }

  async query(sql: string): Promise<string> {
    const r = await fetch(`${this.httpUrl}/?query=${encodeURIComponent(sql)}`, { method: 'POST' });
    const text = await r.text();
    if (!r.ok) throw new Error(`ClickHouse: ${text}`);
    return text;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(t);
    this.proc = undefined;
  }
}

export interface TestClickHouse {
  servers: ClickHouseServer[];
  /** clickhouse://… for the store (with cluster= and shards= for more than one server). */
  storeUrl(database: string): string;
  stop(): Promise<void>;
}

/**
 * One server, or `shards` servers forming cluster `flowlogs_test` (one replica per shard).
 * Data lives under a temporary directory, removed by stop().
 */
export async function startClickHouse(shards = 1, name = 'flowlogs_test'): Promise<TestClickHouse> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-ch-'));
  const servers = Array.from({ length: shards }, (_, i) => new ClickHouseServer(path.join(root, `s${i + 1}`)));
  for (const s of servers) await s.allocatePorts();
  if (shards > 1) servers.forEach((s, i) => (s.cluster = { name, shards: servers.map((x) => ({ tcpPort: x.tcpPort })), shardIndex: i }));
  try {
    await Promise.all(servers.map((s) => s.start()));
  } catch (e) {
    await Promise.all(servers.map((s) => s.stop()));
    throw e;
  }
  return {
    servers,
    storeUrl(database: string) {
      const base = `clickhouse://${servers[0].endpoint}/${database}`;
      return shards > 1 ? `${base}?cluster=${name}&shards=${servers.map((s) => s.endpoint).join(',')}` : base;
    },
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
