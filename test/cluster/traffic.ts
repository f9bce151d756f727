// Exporter traffic whose every flow can be recognised once stored: NetFlow v5 datagrams of 30
// flows each, flow n carrying n + BYTES_BASE bytes, so a count and a distinct count over bytes
// tell lost and doubled flows apart. Times sit around a UTC midnight, so batches span two days
// (two partitions in ClickHouse).

import dgram from 'node:dgram';
import { v5Datagram, type V5Flow } from '../../src/sources/netflow/datagram-builder.js';

export const BYTES_BASE = 100_000;
export const FLOWS_PER_DATAGRAM = 30;
/** Ten minutes before a UTC midnight. */
export const T0 = Math.floor(1_795_300_000 / 86400) * 86400 + 86400 - 600;

export function flow(n: number): V5Flow {
  return {
    src: `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`,
    dst: `192.168.${n % 4}.${(n % 200) + 1}`,
    packets: 1 + (n % 7),
    bytes: BYTES_BASE + n,
    firstUptime: 0,
    lastUptime: 0,
    srcPort: 1024 + (n % 50_000),
    dstPort: [22, 80, 443, 53, 3389][n % 5],
    protocol: n % 5 === 3 ? 17 : 6,
    tcpFlags: n % 5 === 3 ? 0 : 0x18,
    inIf: 1 + (n % 3),
    outIf: 10 + (n % 2),
  };
}

/** Datagram k: flows [30k, 30k + 30), their windows spread over 20 minutes across midnight. */
export function datagram(k: number, total: number): Uint8Array {
  const unixSecs = T0 + Math.floor((k * 1200) / Math.max(1, total));
  const uptimeMs = 5_000_000;
  const flows = Array.from({ length: FLOWS_PER_DATAGRAM }, (_, i) => ({ ...flow(k * FLOWS_PER_DATAGRAM + i), firstUptime: uptimeMs - 3000 - (i % 3) * 1000, lastUptime: uptimeMs - 500 }));
  return v5Datagram({ uptimeMs, unixSecs, sequence: k * FLOWS_PER_DATAGRAM }, flows);
}

/**
 * Sends datagrams [from, to) at `perSecond`, datagram k to targets[k % n] and to every
 * `always` target; resolves when all are sent.
 */
export async function send(opts: { from: number; to: number; total: number; perSecond: number; targets: number[]; always?: number[]; stopped?: () => boolean }): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const out = (buf: Uint8Array, port: number) => new Promise<void>((r, j) => sock.send(buf, port, '127.0.0.1', (e) => (e ? j(e) : r())));
  const t0 = Date.now();
  let sent = 0;
  for (let k = opts.from; k < opts.to; k++) {
    if (opts.stopped?.()) break;
    const d = datagram(k, opts.total);
    await out(d, opts.targets[k % opts.targets.length]);
    for (const p of opts.always ?? []) await out(d, p);
    sent++;
    const due = t0 + (sent * 1000) / opts.perSecond;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  sock.close();
  return sent;
}
