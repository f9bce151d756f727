// A syslog receiver for tests: RFC 5424 messages over TCP or TLS (octet-counted or newline
// framing, RFC 6587 / RFC 5425) or UDP. On stop it closes its listener and its connections
// the way a syslog daemon shuts down (it stops accepting, then reads what was already sent).

import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { freePort } from './ports.js';

export interface SyslogMessage {
  pri: number;
  timestamp: string;
  hostname: string;
  app: string;
  msgId: string;
  batch: string;
  row: number;
  msg: string;
}

const RE = /^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) \[\S+ batch="((?:[^"\\]|\\.)*)" row="(\d+)"\] ([\s\S]*)$/;

export function parseRfc5424(text: string): SyslogMessage {
  const m = RE.exec(text);
  if (!m) throw new Error(`not an RFC 5424 flowlogs message: ${text.slice(0, 120)}`);
  return { pri: Number(m[1]), timestamp: m[2], hostname: m[3], app: m[4], msgId: m[6], batch: m[7].replace(/\\(.)/g, '$1'), row: Number(m[8]), msg: m[9] };
}

/** A self-signed certificate for 127.0.0.1 (made with openssl). */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

export class SyslogServer {
  readonly messages: SyslogMessage[] = [];
  port = 0;
  private server?: net.Server;
  private udp?: dgram.Socket;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly transport: 'tcp' | 'tls' | 'udp',
    private readonly tlsFiles?: { cert: string; key: string },
  ) {}

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    if (this.transport === 'udp') {
      const u = dgram.createSocket('udp4');
      u.on('message', (m) => this.messages.push(parseRfc5424(m.toString())));
      await new Promise<void>((r) => u.bind(this.port, '127.0.0.1', r));
      this.udp = u;
      return;
    }
    const onConn = (s: net.Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
      let buf = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          if (buf.length && buf[0] >= 0x30 && buf[0] <= 0x39) {
            const sp = buf.indexOf(0x20);
            if (sp < 0) return;
            const len = Number(buf.subarray(0, sp).toString());
            if (buf.length < sp + 1 + len) return;
            this.messages.push(parseRfc5424(buf.subarray(sp + 1, sp + 1 + len).toString()));
            buf = buf.subarray(sp + 1 + len);
          } else {
            const nl = buf.indexOf(0x0a);
            if (nl < 0) return;
            if (nl > 0) this.messages.push(parseRfc5424(buf.subarray(0, nl).toString()));
            buf = buf.subarray(nl + 1);
          }
        }
      });
    };
    this.server =
      this.transport === 'tls' ? tls.createServer({ cert: fs.readFileSync(this.tlsFiles!.cert), key: fs.readFileSync(this.tlsFiles!.key) }, onConn) : net.createServer(onConn);
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }

  async stop(): Promise<void> {
    if (this.udp) {
      await new Promise<void>((r) => this.udp!.close(() => r()));
      this.udp = undefined;
      return;
    }
    const closed = new Promise<void>((r) => this.server?.close(() => r()) ?? r());
    for (const s of this.sockets) s.end();
    await closed;
    this.server = undefined;
  }
}
