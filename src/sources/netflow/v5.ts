// NetFlow v5: a 24-byte header and up to 30 fixed 48-byte records, no templates.
// Layout from Cisco's NetFlow v5 export format (header: version, count, sysUptime, unix_secs,
// unix_nsecs, flow_sequence, engine_type, engine_id, sampling_interval).

import type { BatchSink } from '../source.js';
import type { Columns } from './columns.js';
import { read16, read32 } from './ops.js';
import type { MessageContext } from './records.js';
import type { DomainState } from './state.js';
import { toUnixMs, T_UPTIME_MS } from './times.js';

export const V5_HEADER = 24;
export const V5_RECORD = 48;
/** The most records a v5 datagram may carry. */
export const V5_MAX_COUNT = 30;

/** Sampling rate from the header's sampling_interval: 2 mode bits, 14 bits of interval. */
export function v5SamplingRate(d: Uint8Array): number {
  return read16(d, 22) & 0x3fff;
}

/** Writes `count` records (already checked to be present) and returns the rows written. */
export function writeV5Records(d: Uint8Array, count: number, ctx: MessageContext, dom: DomainState, rate: number, sink: BatchSink, c: Columns): number {
  const ex = dom.exporter;
  const w = ex.address;
  if (count === 0) return 0;
  let b = sink.room();
  c.bind(b);
  for (let i = 0; i < count; i++) {
    const p = V5_HEADER + i * V5_RECORD;
    // room() promises one row; a batch not yet full takes more without asking again.
    if (b.full) {
      b = sink.room();
      c.bind(b);
    }
    const row = b.addRow();
    const a = row << 2;
    c.src_addr[a + 2] = 0xffff;
    c.src_addr[a + 3] = read32(d, p);
    c.dst_addr[a + 2] = 0xffff;
    c.dst_addr[a + 3] = read32(d, p + 4);
    const inIf = read16(d, p + 12);
    const outIf = read16(d, p + 14);
    c.in_if[row] = inIf;
    c.out_if[row] = outIf;
    c.packets[row] = read32(d, p + 16) * rate;
    c.bytes[row] = read32(d, p + 20) * rate;
    const first = toUnixMs(T_UPTIME_MS, read32(d, p + 24), ctx);
    const last = toUnixMs(T_UPTIME_MS, read32(d, p + 28), ctx);
    c.first_ms[row] = first;
    c.last_ms[row] = last;
    c.start[row] = Math.floor(first / 1000);
    c.end[row] = Math.ceil(last / 1000);
    c.src_port[row] = read16(d, p + 32);
    c.dst_port[row] = read16(d, p + 34);
    c.tcp_flags[row] = d[p + 37];
    c.protocol[row] = d[p + 38];
    c.src_asn[row] = read16(d, p + 40);
    c.dst_asn[row] = read16(d, p + 42);
    c.sampling_rate[row] = rate;
    c.version[row] = 5;
    const e = c.exporter;
    e[a] = w[0];
    e[a + 1] = w[1];
    e[a + 2] = w[2];
    e[a + 3] = w[3];
    c.interfaceCodes[row] = ex.interfaceCode(inIf || outIf, c.interfaceDict!);
  }
  return count;
}
