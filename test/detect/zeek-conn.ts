// Zeek conn.log (TSV with a #fields header) turned into flow records: each connection gives
// the originator's flow and, when the responder sent anything, the responder's flow back, with
// TCP flags read from the connection's history and each record's label kept beside it.

import fs from 'node:fs';
import { FlowBatch } from '../../src/schema/batch.js';
import { parseIpInto } from '../../src/schema/ip.js';

export interface ZeekFlows {
  batch: FlowBatch;
  /** Label of each row (Malicious, Benign, Background, or '' when the log has none). */
  labels: string[];
  /** Detailed label of each row, where the log has one. */
  details: string[];
  /** The connection (0-based line among the records) each row came from. */
  connection: number[];
  connections: number;
}

const FIN = 1;
const SYN = 2;
const RST = 4;
const ACK = 16;

/** Flags each side sent, from Zeek's history letters (upper case: originator). */
export function historyFlags(history: string): { orig: number; resp: number } {
  let orig = 0;
  let resp = 0;
  for (const ch of history) {
    switch (ch) {
      case 'S':
        orig |= SYN;
        break;
      case 'h':
        resp |= SYN | ACK;
        break;
      case 'A':
      case 'D':
        orig |= ACK;
        break;
      case 'a':
      case 'd':
        resp |= ACK;
        break;
      case 'F':
        orig |= FIN;
        break;
      case 'f':
        resp |= FIN;
        break;
      case 'R':
        orig |= RST;
        break;
      case 'r':
        resp |= RST;
        break;
    }
  }
  return { orig, resp };
}

export function readZeekConn(file: string): ZeekFlows {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const fieldsLine = lines.find((l) => l.startsWith('#fields'));
  if (!fieldsLine) throw new Error(`${file}: no #fields header`);
  const fields = fieldsLine.split('\t').slice(1);
  const col = (name: string) => fields.indexOf(name);
  const c = {
    ts: col('ts'),
    oh: col('id.orig_h'),
    op: col('id.orig_p'),
    rh: col('id.resp_h'),
    rp: col('id.resp_p'),
    proto: col('proto'),
    duration: col('duration'),
    history: col('history'),
    opk: col('orig_pkts'),
    ob: col('orig_ip_bytes'),
    rpk: col('resp_pkts'),
    rb: col('resp_ip_bytes'),
    lo: col('local_orig'),
    label: col('label'),
    detail: col('detailedlabel'),
  };
  const rows = lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split('\t'));
  const batch = new FlowBatch(Math.max(1, rows.length * 2), { shared: false });
  const labels: string[] = [];
  const details: string[] = [];
  const connection: number[] = [];
  const num = (v: string | undefined) => (v === undefined || v === '-' || v === '(empty)' ? 0 : Number(v));
  rows.forEach((f, conn) => {
    const ts = Number(f[c.ts]);
    const dur = num(f[c.duration]);
    const proto = f[c.proto];
    const v6 = f[c.oh].includes(':');
    const protocol = proto === 'tcp' ? 6 : proto === 'udp' ? 17 : proto === 'icmp' ? (v6 ? 58 : 1) : 0;
    const flags = historyFlags(f[c.history] === '-' ? '' : f[c.history]);
    const label = c.label >= 0 ? f[c.label] : '';
    const detail = c.detail >= 0 && f[c.detail] !== '(empty)' ? f[c.detail] : '';
    const icmp = protocol === 1 || protocol === 58;
    const sides: [string, string, number, number, number, number, number][] = [[f[c.oh], f[c.rh], num(f[c.op]), num(f[c.rp]), num(f[c.opk]), num(f[c.ob]), flags.orig]];
    if (num(f[c.rpk]) > 0) sides.push([f[c.rh], f[c.oh], num(f[c.rp]), num(f[c.op]), num(f[c.rpk]), num(f[c.rb]), flags.resp]);
    sides.forEach(([src, dst, sp, dp, packets, bytes, fl], i) => {
      const r = batch.addRow();
      const cols = batch.cols;
      parseIpInto(src, cols.src_addr, r * 4);
      parseIpInto(dst, cols.dst_addr, r * 4);
      // ICMP: Zeek puts the type in orig_p and the code in resp_p; flows carry type·256 + code.
      cols.src_port[r] = icmp ? 0 : sp;
      cols.dst_port[r] = icmp ? (i === 0 ? sp * 256 + dp : 0) : dp;
      cols.protocol[r] = protocol;
      cols.packets[r] = packets;
      cols.bytes[r] = bytes;
      cols.tcp_flags[r] = protocol === 6 ? fl : 0;
      cols.start[r] = Math.floor(ts);
      cols.end[r] = Math.ceil(ts + dur);
      cols.first_ms[r] = Math.round(ts * 1000);
      cols.last_ms[r] = Math.round((ts + dur) * 1000);
      cols.direction[r] = (f[c.lo] === 'T') === (i === 0) ? 1 : 0;
      cols.sampling_rate[r] = 1;
      cols.version[r] = 0;
      labels.push(label);
      details.push(detail);
      connection.push(conn);
    });
  });
  return { batch, labels, details, connection, connections: rows.length };
}
