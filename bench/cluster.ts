// Past one machine, measured: flows per second from NATS JetStream into ClickHouse through the
// `write` role with one and with two writers, the bus lag while it runs, and CPU seconds per
// million flows for each process (writers, clickhouse-server, nats-server, the publisher, and a
// `collect` role fed NetFlow v5 over UDP). The bus lag is sampled at a steady publish rate the
// machine keeps up with (half of what one writer drains). Everything runs on this machine: the servers are
// Debian's nats-server and clickhouse-server (18.16) started on 127.0.0.1 ports.
// FLOWLOGS_BENCH_BUS_FLOWS sets the flows per writer run (default 4,000,000).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { encodeMessage, messageId } from '../src/bus/codec.js';
import { busConfig } from '../src/bus/config.js';
import { connectBus } from '../src/bus/connect.js';
import { splitForBus } from '../src/bus/publisher.js';
import { wireFromBatch } from '../src/bus/wire.js';
import { BatchList } from '../src/sources/source.js';
import { loadExampleInventory, Simulator } from '../src/sources/simulator/index.js';
import { ClickHouseStore } from '../src/store/clickhouse/store.js';
import { startClickHouse } from '../test/clickhouse/server.js';
import { freePort } from '../test/sinks/servers/ports.js';
import { NatsServer } from '../test/cluster/nats.js';
import { RoleProcess } from '../test/cluster/processes.js';
import { datagram, FLOWS_PER_DATAGRAM } from '../test/cluster/traffic.js';

type Figure = { name: string; value: number; unit: string };

const TICK = 100; // clock ticks per second in /proc/<pid>/stat

function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / TICK;
  } catch {
    return 0;
  }
}

function pidOf(name: string, dirHint: string): number | undefined {
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes(name) && cmd.includes(dirHint)) return Number(p);
    } catch {
      // gone
    }
  }
  return undefined;
}

/** About 1 MB messages of simulated flows, with fixed-width ids so copies can be renumbered. */
function messages(): { bodies: Uint8Array[]; rows: number[] } {
  const sim = new Simulator(loadExampleInventory(), { seed: 11, windowSeconds: 60, startTime: 1_795_300_000 - (1_795_300_000 % 3600), flowsPerWindow: 4000 });
  const list = new BatchList(65_536);
  for (let w = 0; w < 60; w++) sim.nextWindow(list);
  const bodies: Uint8Array[] = [];
  const rows: number[] = [];
  let n = 0;
  for (const b of list.batches) {
    for (const w of splitForBus(wireFromBatch(b, ''), (1 << 20) - 2048, () => `bench-${String(n++).padStart(10, '0')}`)) {
      bodies.push(encodeMessage(w));
      rows.push(w.rows);
    }
  }
  return { bodies, rows };
}

/** The same message under id `bench-<k>` (the id sits right after the 14-byte header). */
function renumber(body: Uint8Array, k: number): Uint8Array {
  const out = body.slice();
  const id = `bench-${String(k).padStart(10, '0')}`;
  out.set(new TextEncoder().encode(id), 14);
  return out;
}

async function writerRun(writers: number, flowsWanted: number, ch: Awaited<ReturnType<typeof startClickHouse>>, nats: NatsServer, dir: string, msgs: ReturnType<typeof messages>, rate = 0): Promise<Figure[]> {
  const label = `${writers} writer${writers > 1 ? 's' : ''}${rate ? `, steady ${Math.round(rate / 1000)}k flows/s` : ''}`;
  const tag = `w${writers}${rate ? 's' : ''}`;
  const db = `bench_${tag}`;
  const stream = `BENCH_${tag.toUpperCase()}`;
  const storeUrl = ch.storeUrl(db);
  const config = path.join(dir, `${tag}.yaml`);
  const bus = { url: nats.url, stream, subject: `bench.${tag}`, partitions: 4, timeout_ms: 10_000 };
  fs.writeFileSync(config, YAML.stringify({ bus, store: { url: storeUrl }, write: { insert_rows: 500_000, insert_wait_ms: 1000, max_ack_pending: 512, ack_wait_s: 60, metrics_listen: '' } }));
  const store = new ClickHouseStore({ url: storeUrl });
  await store.start();
  const procs = Array.from({ length: writers }, (_, i) => new RoleProcess(`writer${i + 1}`, ['write', '--config', config, '--name', `bench-w${i + 1}`]));
  for (const p of procs) await p.waitFor(/flowlogs write: /);
  const js = await connectBus(busConfig.parse(bus), 'bench-publisher');
  const chPid = ch.servers[0].pid;
  const natsPid = pidOf('nats-server', nats.dir);
  const cpu0 = { writers: procs.map((p) => cpuSeconds(p.proc.pid)), ch: cpuSeconds(chPid), nats: cpuSeconds(natsPid), self: process.cpuUsage() };
  const count = async () => Number((await store.text(`SELECT count() FROM ${db}.flows`)).trim());
  let lagMax = 0;
  const lags: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      try {
        const info = await js.consumerInfo(stream, 'writers');
        lags.push(info.pending + info.ackPending);
        lagMax = Math.max(lagMax, info.pending + info.ackPending);
      } catch {
        // the consumer appears with the first writer
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const t0 = performance.now();
  let flows = 0;
  let k = 0;
  const inflight = new Set<Promise<unknown>>();
  while (flows < flowsWanted) {
    const i = k % msgs.bodies.length;
    const body = renumber(msgs.bodies[i], k);
    const p = js.publish(`bench.${tag}.${k % 4}`, body, messageId(body));
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (inflight.size >= 16) await Promise.race(inflight);
    flows += msgs.rows[i];
    k++;
    if (rate) {
      const wait = t0 + (flows / rate) * 1000 - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
  }
  await Promise.all(inflight);
  const published = performance.now();
  // Generous: a stalled writer should fail the run with its log, not hang it.
  const deadline = Date.now() + 600_000;
  while ((await count()) < flows) {
    if (Date.now() > deadline) {
      await Promise.all(procs.map((p) => p.stop(5000)));
      throw new Error(`${label}: ${await count()} of ${flows} flows stored after 10 minutes:\n${procs.map((p) => p.log.slice(-2000)).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const done = performance.now();
  sampling = false;
  await sampler;
  const self = process.cpuUsage(cpu0.self);
  const perM = (s: number) => (s / flows) * 1e6;
  const writerCpu = procs.reduce((s, p, i) => s + cpuSeconds(p.proc.pid) - cpu0.writers[i], 0);
  const chCpu = cpuSeconds(chPid) - cpu0.ch;
  const natsCpu = cpuSeconds(natsPid) - cpu0.nats;
  for (const p of procs) await p.stop();
  js.nc.close();
  const stored = await count();
  if (stored !== flows) throw new Error(`${label}: ${stored} rows stored of ${flows}`);
  await store.command(`DROP DATABASE ${db}`);
  await store.stop();
  lags.sort((a, b) => a - b);
  const lagFlows = (m: number) => Math.round((m * flows) / k);
  if (rate)
    return [
      { name: `bus→ClickHouse, ${label}: bus lag, median`, value: lagFlows(lags[Math.floor(lags.length / 2)] ?? 0), unit: 'flows' },
      { name: `bus→ClickHouse, ${label}: bus lag, max`, value: lagFlows(lagMax), unit: 'flows' },
      { name: `bus→ClickHouse, ${label}: bus lag, max, in time`, value: Math.round((lagFlows(lagMax) / rate) * 100) / 100, unit: 's' },
      { name: `bus→ClickHouse, ${label}: last flow stored after the last was published`, value: Math.round(done - published), unit: 'ms' },
    ];
  return [
    { name: `bus→ClickHouse, ${label}: flows/s end to end`, value: Math.round(flows / ((done - t0) / 1000)), unit: 'flows/s' },
    { name: `bus→ClickHouse, ${label}: flows`, value: flows, unit: 'flows' },
    { name: `bus→ClickHouse, ${label}: publish rate (JetStream acknowledged)`, value: Math.round(flows / ((published - t0) / 1000)), unit: 'flows/s' },
    { name: `bus→ClickHouse, ${label}: CPU per million flows, write role (all writers)`, value: Math.round(perM(writerCpu) * 100) / 100, unit: 's' },
    { name: `bus→ClickHouse, ${label}: CPU per million flows, clickhouse-server`, value: Math.round(perM(chCpu) * 100) / 100, unit: 's' },
    { name: `bus→ClickHouse, ${label}: CPU per million flows, nats-server`, value: Math.round(perM(natsCpu) * 100) / 100, unit: 's' },
    { name: `bus→ClickHouse, ${label}: CPU per million flows, publisher`, value: Math.round(perM((self.user + self.system) / 1e6) * 100) / 100, unit: 's' },
  ];
}

async function collectorRun(nats: NatsServer, dir: string): Promise<Figure[]> {
  const port = await freePort();
  const metricsPort = await freePort();
  const config = path.join(dir, 'collect.yaml');
  fs.writeFileSync(
    config,
    YAML.stringify({
      bus: { url: nats.url, stream: 'BENCH_COLLECT', subject: 'bench.collect', partitions: 4 },
      collectors: { listen: [`127.0.0.1:${port}`], decoders: 1 },
      collect: { metrics_listen: `127.0.0.1:${metricsPort}` },
      enrich: { geo: false },
    }),
  );
  const c = new RoleProcess('collector', ['collect', '--config', config, '--name', 'bench', '--queue', path.join(dir, 'collect-queue')]);
  await c.waitFor(/flowlogs collect bench: /);
  const cpu0 = cpuSeconds(c.proc.pid);
  const datagrams = 60_000;
  const payloads = Array.from({ length: 200 }, (_, k) => datagram(k, 200));
  const dgram = await import('node:dgram');
  const sock = dgram.createSocket('udp4');
  const rate = 6000; // datagrams/s: 180,000 flows/s
  const t0 = performance.now();
  for (let k = 0; k < datagrams; k++) {
    await new Promise<void>((r, j) => sock.send(payloads[k % payloads.length], port, '127.0.0.1', (e) => (e ? j(e) : r())));
    const wait = t0 + (k * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  }
  sock.close();
  const sent = datagrams * FLOWS_PER_DATAGRAM;
  const published = async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return Number(/^flowlogs_bus_published_records_total (\d+)/m.exec(text)?.[1] ?? 0);
  };
  const until = Date.now() + 60_000;
  let got = await published();
  while (got < sent && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    got = await published();
  }
  const cpu = cpuSeconds(c.proc.pid) - cpu0;
  await c.stop();
  return [
    { name: 'collect role: flows published of flows sent (NetFlow v5 at 180k flows/s)', value: Math.round((got / sent) * 1000) / 10, unit: '%' },
    { name: 'collect role: CPU per million flows (decode, queue on disk, publish)', value: Math.round((cpu / Math.max(1, got)) * 1e6 * 100) / 100, unit: 's' },
  ];
}

export async function run(): Promise<Figure[]> {
  const flows = Number(process.env.FLOWLOGS_BENCH_BUS_FLOWS ?? 4_000_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-bench-cluster-'));
  const ch = await startClickHouse(1);
  const nats = new NatsServer(path.join(dir, 'nats'));
  await nats.start();
  const out: Figure[] = [];
  try {
    const msgs = messages();
    const bytes = msgs.bodies.reduce((s, b) => s + b.length, 0);
    out.push({ name: 'bus message size per flow', value: Math.round((bytes / msgs.rows.reduce((s, r) => s + r, 0)) * 10) / 10, unit: 'bytes' });
    out.push(...(await writerRun(1, flows, ch, nats, dir, msgs)));
    out.push(...(await writerRun(2, flows, ch, nats, dir, msgs)));
    // Lag under a load the machine keeps up with: half of what one writer managed.
    const one = out.find((f) => f.name.startsWith('bus→ClickHouse, 1 writer: flows/s'))!.value;
    const steady = Math.round(one / 2 / 10_000) * 10_000 || 10_000;
    out.push(...(await writerRun(1, Math.min(flows, steady * 20), ch, nats, dir, msgs, steady)));
    out.push(...(await collectorRun(nats, dir)));
    out.push({ name: 'machine cores', value: os.cpus().length, unit: '' });
    out.push({ name: 'load average (1 min) at the end', value: Math.round(os.loadavg()[0] * 100) / 100, unit: '' });
  } finally {
    await nats.remove();
    await ch.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
