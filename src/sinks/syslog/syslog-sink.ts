// Syslog (RFC 5424) over UDP, TCP or TLS, one message per record. Over TCP and TLS, messages
// are framed by octet counting (RFC 6587 / RFC 5425) or by newlines, and a batch counts as
// delivered once the connection took all of it; a broken connection sends the whole batch
// again on a new one. Syslog itself has no acknowledgements: a receiver that dies with data
// in its socket buffer loses it. UDP is fire-and-forget (only "port unreachable" is noticed).

import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import { z } from 'zod';
import { commonSettings } from '../config.js';
import type { DeliveryBatch, Destination } from '../destination.js';
import { TEXT_FORMATS, textFormat, type TextFormat } from '../formats/index.js';
import type { SinkType } from '../registry-types.js';
import { FACILITY_NAMES, octetCounted, Rfc5424, SEVERITY_NAMES } from './rfc5424.js';

export const syslogSettings = z
  .object({
    type: z.literal('syslog'),
    ...commonSettings,
    transport: z.enum(['udp', 'tcp', 'tls']).default('tcp'),
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(1).max(65535).optional(),
    framing: z.enum(['octet-counting', 'newline']).default('octet-counting'),
    facility: z.enum(FACILITY_NAMES).default('local0'),
    severity: z.enum(SEVERITY_NAMES).default('info'),
    app_name: z.string().default('flowlogs'),
    hostname: z.string().default(os.hostname()),
    msg_id: z.string().default('flow'),
    sd_id: z.string().default('flowlogs@32473'),
    format: z.enum(TEXT_FORMATS).default('json'),
    tls: z
      .object({ ca_file: z.string().optional(), insecure: z.boolean().default(false), cert_file: z.string().optional(), key_file: z.string().optional() })
      .strict()
      .prefault({}),
    timeout_ms: z.number().int().min(100).default(10_000),
  })
  .strict();
export type SyslogSettings = z.infer<typeof syslogSettings>;

export class SyslogDestination implements Destination {
  private readonly fmt: TextFormat;
  private readonly header: Rfc5424;
  private stream: net.Socket | undefined;
  private udp: dgram.Socket | undefined;
  private broken: Error | undefined;
  private readonly port: number;

  constructor(private readonly s: SyslogSettings) {
    this.fmt = textFormat(s.format, s.format_options);
    this.header = new Rfc5424({ facility: s.facility, severity: s.severity, hostname: s.hostname, appName: s.app_name, procId: String(process.pid), msgId: s.msg_id, sdId: s.sd_id });
    this.port = s.port ?? (s.transport === 'tls' ? 6514 : 514);
  }

  private connect(): Promise<net.Socket> {
    if (this.stream && !this.broken && !this.stream.destroyed) return Promise.resolve(this.stream);
    this.stream?.destroy();
    this.broken = undefined;
    return new Promise((resolve, reject) => {
      const t = this.s.tls;
      const sock =
        this.s.transport === 'tls'
          ? tls.connect({
              host: this.s.host,
              port: this.port,
              servername: net.isIP(this.s.host) ? undefined : this.s.host,
              ca: t.ca_file ? fs.readFileSync(t.ca_file) : undefined,
              cert: t.cert_file ? fs.readFileSync(t.cert_file) : undefined,
              key: t.key_file ? fs.readFileSync(t.key_file) : undefined,
              rejectUnauthorized: !t.insecure,
            })
          : net.connect({ host: this.s.host, port: this.port });
      const timer = setTimeout(() => sock.destroy(new Error(`syslog ${this.s.host}:${this.port}: no connection within ${this.s.timeout_ms} ms`)), this.s.timeout_ms);
      sock.once(this.s.transport === 'tls' ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        sock.setNoDelay(false);
        this.stream = sock;
        resolve(sock);
      });
      sock.on('error', (e) => {
        clearTimeout(timer);
        this.broken = e;
        reject(e);
      });
      // The receiver closing its end means it will not read what we send next.
      sock.on('end', () => {
        this.broken = new Error('syslog receiver closed the connection');
        sock.destroy();
      });
      sock.on('close', () => {
        this.broken ??= new Error('syslog connection closed');
      });
      sock.on('data', () => {});
    });
  }

  async deliver(batch: DeliveryBatch): Promise<void> {
    const b = batch.records;
    const line = this.fmt.forBatch(b, batch.id);
    if (this.s.transport === 'udp') return this.deliverUdp(batch, line);
    const sock = await this.connect();
    let chunk = '';
    const writes: Promise<void>[] = [];
    const flush = () => {
      const data = chunk;
      chunk = '';
      writes.push(new Promise((resolve, reject) => sock.write(data, (e) => (e ? reject(e) : resolve()))));
    };
    for (let r = 0; r < b.length; r++) {
      const msg = this.header.message(b.cols.end[r], batch.id, r, line(r));
      chunk += this.s.framing === 'newline' ? msg.replace(/\n/g, ' ') + '\n' : octetCounted(msg);
      if (chunk.length > 1 << 20) flush();
    }
    if (chunk) flush();
    try {
      await Promise.all(writes);
    } catch (e) {
      sock.destroy();
      throw e;
    }
    if (this.broken) {
      sock.destroy();
      throw this.broken;
    }
  }

  private async deliverUdp(batch: DeliveryBatch, line: (r: number) => string): Promise<void> {
    if (!this.udp) {
      const sock = dgram.createSocket(net.isIPv6(this.s.host) ? 'udp6' : 'udp4');
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.connect(this.port, this.s.host, () => resolve());
      });
      sock.on('error', () => {});
      this.udp = sock;
    }
    const sock = this.udp;
    const b = batch.records;
    for (let r = 0; r < b.length; r++) {
      const msg = Buffer.from(this.header.message(b.cols.end[r], batch.id, r, line(r)));
      // Larger than a datagram can be: cut (RFC 5426 lets receivers truncate too).
      const data = msg.length > 65_000 ? msg.subarray(0, 65_000) : msg;
      await new Promise<void>((resolve, reject) => sock.send(data, (e) => (e ? reject(e) : resolve())));
    }
  }

  async stop(): Promise<void> {
    this.stream?.end();
    this.stream?.destroy();
    this.udp?.close();
  }
}

export const syslogSink: SinkType<SyslogSettings> = {
  type: 'syslog',
  schema: syslogSettings,
  batchDefaults: () => ({ max_records: 2000, max_wait_ms: 500 }),
  create: (s) => new SyslogDestination(s),
};
