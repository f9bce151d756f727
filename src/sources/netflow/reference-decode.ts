// Test support: feeds captures to a decoder and reads the independent Wireshark decodes kept in
// the shared test data, turning each Wireshark flow record into the values our rows must hold.
// Wireshark's strings are converted here with Wireshark's own semantics (uptime-relative times,
// raw unsampled counters), so a test compares like with like.

import fs from 'node:fs';
import type { FlowRecord } from '../../schema/batch.js';
import { parseIp } from '../../schema/ip.js';
import { readCapture } from '../pcap/capture.js';
import { udpPayload } from '../pcap/udp.js';
import { BatchList } from '../source.js';
import type { NetflowDecoder } from './decoder.js';

/**
 * The two ways a template's records are read, which must agree: the generic op loop and the
 * reader compiled per template. Capture tests run under both.
 */
export const READER_MODES = [
  { name: 'op loop', options: { compileAfterRecords: Infinity } },
  { name: 'compiled readers', options: { compileAfterRecords: 0 } },
] as const;

export interface Datagram {
  exporter: Uint32Array;
  payload: Uint8Array;
  receivedMs: number;
}

/** Every UDP datagram of a pcap/pcapng file, in capture order. */
export function captureDatagrams(path: string): Datagram[] {
  const out: Datagram[] = [];
  for (const pkt of readCapture(new Uint8Array(fs.readFileSync(path)))) {
    const u = udpPayload(pkt);
    if (!u) continue;
    out.push({ exporter: Uint32Array.from(u.src), payload: Uint8Array.from(u.payload), receivedMs: u.tsMs });
  }
  return out;
}

/** Raw payload files (.dat/.bin: one datagram each) as if sent by `exporter` one second apart. */
export function payloadDatagrams(paths: string[], exporter = '192.0.2.1', startMs = Date.UTC(2024, 0, 1)): Datagram[] {
  const ex = parseIp(exporter)!;
  return paths.map((p, i) => ({ exporter: ex, payload: new Uint8Array(fs.readFileSync(p)), receivedMs: startMs + i * 1000 }));
}

export function decodeAll(dec: NetflowDecoder, datagrams: Datagram[]): FlowRecord[] {
  const sink = new BatchList(64);
  for (const g of datagrams) dec.decode(g.payload, g.exporter, g.receivedMs, sink);
  return sink.records();
}

/** What one Wireshark flow record says our row must hold. */
export interface ExpectedFlow {
  frame: number;
  exporter?: string;
  src_addr: string;
  dst_addr: string;
  src_port: number;
  dst_port: number;
  protocol: number;
  /** Before sampling: compare with packets / sampling_rate. */
  packets: number;
  bytes: number;
  in_if?: number;
  out_if?: number;
  /** Unix ms; 0 when Wireshark's fields leave the time unknown. */
  first_ms: number;
  last_ms: number;
  tcp_flags?: number;
}

type WsRecord = Record<string, string | string[]>;
interface WsFrame {
  frame?: number;
  exporter_ip?: string;
  header?: Record<string, string>;
  records?: WsRecord[];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Wireshark's absolute time text ("May  2, 2015 18:38:08.280328000 UTC") as unix ms. */
export function wsTime(text: string): number {
  const m = /^(\w{3})\s+(\d+), (\d{4}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? UTC$/.exec(text.trim());
  if (!m) throw new Error(`not a Wireshark time: ${text}`);
  const frac = (m[7] ?? '0').padEnd(9, '0');
  return Date.UTC(+m[3], MONTHS.indexOf(m[1]), +m[2], +m[4], +m[5], +m[6]) + Math.floor(+frac.slice(0, 6) / 1000);
}

/** Wireshark's relative seconds ("944948.659000000") as integer ms. */
function wsMs(text: string): number {
  const [s, f = '0'] = text.split('.');
  return +s * 1000 + +f.padEnd(3, '0').slice(0, 3);
}

/** The last of a repeated field (the inner header when an exporter repeats elements). */
function last(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function num(v: string | string[] | undefined): number | undefined {
  const s = last(v);
  if (s === undefined) return undefined;
  return s.startsWith('0x') ? parseInt(s, 16) : Number(s);
}

/**
 * Of the IPv4 and IPv6 address fields, the one Wireshark dissected later in the record unless it
 * is unset (0.0.0.0 or ::) and the other is not: an exporter repeating the addresses puts the
 * inner packet's last, and one sending both families fills only one.
 */
function address(r: WsRecord, v4: string, v6: string): string | undefined {
  const keys = Object.keys(r);
  const a = lastSet(r[v4]);
  const b = lastSet(r[v6]);
  const unset = (x: string | undefined) => x === undefined || x === '0.0.0.0' || x === '::';
  if (unset(a) && !unset(b)) return b;
  if (unset(b) && !unset(a)) return a;
  if (a === undefined) return b;
  if (b === undefined) return a;
  return keys.indexOf(v4) > keys.indexOf(v6) ? a : b;
}

/** An address field, with repeats resolved like ours: the last one that is set. */
function lastSet(v: string | string[] | undefined): string | undefined {
  if (!Array.isArray(v)) return v;
  for (let i = v.length - 1; i >= 0; i--) if (v[i] !== '0.0.0.0' && v[i] !== '::') return v[i];
  return v[v.length - 1];
}

export interface WiresharkFile {
  frames: WsFrame[];
}

export function readWireshark(path: string): WiresharkFile {
  return JSON.parse(fs.readFileSync(path, 'utf8')) as WiresharkFile;
}

/** Set ids of options templates Wireshark saw, to tell options records from flows. */
function optionsTemplateIds(file: WiresharkFile): Set<string> {
  const ids = new Set<string>();
  for (const fr of file.frames) {
    for (const r of fr.records ?? []) {
      const set = last(r._set) ?? '';
      if (set.includes('Options Template') && r.template_id !== undefined) ids.add(String(last(r.template_id)));
    }
  }
  return ids;
}

/** Options data records in a Wireshark decode (sampler tables, interface names, clocks). */
export function wiresharkOptionsRecords(file: WiresharkFile): number {
  const options = optionsTemplateIds(file);
  let n = 0;
  for (const fr of file.frames) {
    for (const r of fr.records ?? []) {
      const sid = setId(r);
      if (r.template_id === undefined && sid !== undefined && options.has(sid)) n++;
    }
  }
  return n;
}

function setId(r: WsRecord): string | undefined {
  return /\[id=(\d+)\]/.exec(last(r._set) ?? '')?.[1];
}

/**
 * The flow records of a Wireshark decode (options records and template descriptions left out),
 * each as the values our row must hold.
 */
export function wiresharkFlows(file: WiresharkFile, defaultExporter?: string): ExpectedFlow[] {
  const options = optionsTemplateIds(file);
  const initMs = new Map<string, number>();
  const out: ExpectedFlow[] = [];
  for (const [i, fr] of file.frames.entries()) {
    const h = fr.header;
    if (!h) continue;
    const exporter = fr.exporter_ip ?? defaultExporter;
    const version = Number(h.version);
    const exportMs = wsTime(h.timestamp);
    const uptimeMs = h.sysuptime !== undefined ? wsMs(h.sysuptime) : -1;
    for (const r of fr.records ?? []) {
      if (r.template_id !== undefined) continue;
      if (r.sys_init_time !== undefined) initMs.set(exporter ?? '', wsTime(String(last(r.sys_init_time))));
      const sid = setId(r);
      if (version !== 5 && (sid === undefined || options.has(sid))) continue;
      const init = initMs.get(exporter ?? '');
      /** Uptime-relative seconds as unix ms: against the header for v9, the init time for IPFIX. */
      const fromUptime = (ms: number): number => {
        if (version === 10) return init !== undefined ? init + ms : 0;
        return exportMs - ((uptimeMs - ms) | 0);
      };
      const time = (abs: string, rel: string): number | undefined => {
        if (r[abs] !== undefined) {
          const t = wsTime(String(last(r[abs])));
          // Wireshark 4.0 prints flowStartSysUpTime 0 as the epoch; IE 22 counts from the
          // exporter's init time (IANA), so 0 is the moment the exporter started.
          return t === 0 ? fromUptime(0) : t;
        }
        return r[rel] !== undefined ? fromUptime(wsMs(String(last(r[rel])))) : undefined;
      };
      let first = time('abstimestart', 'timestart');
      let lastMs = time('abstimeend', 'timeend');
      const obs = r.observation_time_milliseconds !== undefined ? wsTime(String(last(r.observation_time_milliseconds))) : undefined;
      first ??= obs ?? lastMs;
      lastMs ??= obs ?? first;
      const frame = r.data_link_frame_section !== undefined;
      const proto = frame ? num(r['ip.proto'] ?? r['ipv6.nxt']) ?? 0 : num(r.protocol) ?? 0;
      let dstPort = frame ? num(r['udp.dstport'] ?? r['tcp.dstport']) ?? 0 : num(r.dstport) ?? 0;
      const icmp = icmpTypeCode(r, proto);
      if (icmp !== undefined) dstPort = icmp;
      out.push({
        frame: fr.frame ?? i + 1,
        exporter,
        src_addr: (frame ? last(r['ip.src']) ?? last(r['ipv6.src']) : address(r, 'srcaddr', 'srcaddrv6')) ?? '::',
        dst_addr: (frame ? last(r['ip.dst']) ?? last(r['ipv6.dst']) : address(r, 'dstaddr', 'dstaddrv6')) ?? '::',
        src_port: frame ? num(r['udp.srcport'] ?? r['tcp.srcport']) ?? 0 : num(r.srcport) ?? 0,
        dst_port: dstPort,
        protocol: proto,
        packets: frame ? 1 : num(r.packets ?? r.permanent_packets ?? r.post_packets) ?? 0,
        // A sampled frame counts as one packet of its IP length (inner packet when tunnelled).
        bytes: frame ? num(r['ip.len']) ?? ipv6Length(r) ?? num(r.data_link_frame_size) ?? 0 : num(r.octets ?? r.permanent_octets ?? r.post_octets) ?? 0,
        in_if: num(r.inputint ?? r.ingress_physical_interface),
        out_if: num(r.outputint ?? r.egress_physical_interface),
        first_ms: first ?? 0,
        last_ms: lastMs ?? 0,
        tcp_flags: num(r.tcpflags) === undefined ? undefined : num(r.tcpflags)! & 0xff,
      });
    }
  }
  return out;
}

function ipv6Length(r: WsRecord): number | undefined {
  const plen = num(r['ipv6.plen']);
  return plen === undefined ? undefined : plen + 40;
}

/** ICMP type × 256 + code where the record names them and the protocol is ICMP/ICMPv6. */
function icmpTypeCode(r: WsRecord, proto: number): number | undefined {
  if (proto !== 1 && proto !== 58) return undefined;
  const tc = num(r.icmp_type_code_ipv4 ?? r.icmp_type_code_ipv6);
  if (tc !== undefined) return tc;
  const type = num(r.icmp_ipv4_type ?? r.icmp_ipv6_type ?? r['icmp.type'] ?? r['icmpv6.type']);
  const code = num(r.icmp_ipv4_code ?? r.icmp_ipv6_code ?? r['icmp.code'] ?? r['icmpv6.code']);
  return type === undefined ? undefined : type * 256 + (code ?? 0);
}

/** The fields of a decoded row that a Wireshark flow is compared on. */
export function comparable(r: FlowRecord, e: ExpectedFlow): Record<string, unknown> {
  const rate = r.sampling_rate || 1;
  const got: Record<string, unknown> = {
    src_addr: r.src_addr,
    dst_addr: r.dst_addr,
    src_port: r.src_port,
    dst_port: r.dst_port,
    protocol: r.protocol,
    packets: r.packets / rate,
    bytes: r.bytes / rate,
    first_ms: r.first_ms,
    last_ms: r.last_ms,
  };
  if (e.exporter !== undefined) got.exporter = r.exporter;
  if (e.in_if !== undefined) got.in_if = r.in_if;
  if (e.out_if !== undefined) got.out_if = r.out_if;
  if (e.tcp_flags !== undefined) got.tcp_flags = r.tcp_flags;
  return got;
}

export function expectedFields(e: ExpectedFlow): Record<string, unknown> {
  const want: Record<string, unknown> = {
    src_addr: e.src_addr,
    dst_addr: e.dst_addr,
    src_port: e.src_port,
    dst_port: e.dst_port,
    protocol: e.protocol,
    packets: e.packets,
    bytes: e.bytes,
    first_ms: e.first_ms,
    last_ms: e.last_ms,
  };
  if (e.exporter !== undefined) want.exporter = e.exporter;
  if (e.in_if !== undefined) want.in_if = e.in_if;
  if (e.out_if !== undefined) want.out_if = e.out_if;
  if (e.tcp_flags !== undefined) want.tcp_flags = e.tcp_flags;
  return want;
}

/**
 * Pairs every expected flow with a distinct decoded row holding the same values (rows may come
 * in another order: sets that waited for their template are decoded when it arrives). Returns the
 * expected flows left without a row, each with the closest row's differences, and the rows left over.
 */
export function matchFlows(rows: FlowRecord[], expected: ExpectedFlow[]): { unmatched: Array<{ expected: Record<string, unknown>; closest: Record<string, unknown> | undefined }>; extra: FlowRecord[] } {
  const used = new Set<number>();
  const unmatched: Array<{ expected: Record<string, unknown>; closest: Record<string, unknown> | undefined }> = [];
  for (const e of expected) {
    const want = expectedFields(e);
    let best = -1;
    let bestDiff = Infinity;
    for (let i = 0; i < rows.length; i++) {
      if (used.has(i)) continue;
      const got = comparable(rows[i], e);
      let diff = 0;
      for (const k of Object.keys(want)) if (got[k] !== want[k]) diff++;
      if (diff < bestDiff) {
        bestDiff = diff;
        best = i;
      }
      if (diff === 0) break;
    }
    if (bestDiff === 0) used.add(best);
    else unmatched.push({ expected: want, closest: best >= 0 ? comparable(rows[best], e) : undefined });
  }
  return { unmatched, extra: rows.filter((_, i) => !used.has(i)) };
}
