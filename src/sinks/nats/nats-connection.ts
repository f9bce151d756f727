// Just enough of the NATS client protocol for publishing to JetStream and asking it
// questions: CONNECT, HPUB with headers and a reply inbox, MSG/HMSG replies, PING/PONG,
// optional TLS. Requests are pipelined: many publishes go out before the first
// acknowledgement comes back, which is what makes a batch of messages cheap.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

export interface NatsOptions {
  /** nats://host:port or tls://host:port */
  url: string;
  user?: string;
  password?: string;
  token?: string;
  tls?: { ca_file?: string; insecure: boolean; enabled: boolean };
  timeoutMs: number;
  name: string;
}

export interface ServerInfo {
  server_id: string;
  version: string;
  max_payload: number;
  headers?: boolean;
  jetstream?: boolean;
  tls_required?: boolean;
}

export interface NatsReply {
  /** Status from a header-only reply (503: no responders), 0 for a normal message. */
  status: number;
  headers: Record<string, string>;
  data: Buffer;
}

interface Pending {
  resolve: (r: NatsReply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const CRLF = Buffer.from('\r\n');

function parseHeaders(block: Buffer): { status: number; headers: Record<string, string> } {
  const lines = block.toString('utf8').split('\r\n');
  const first = /^NATS\/1\.0(?:\s+(\d{3}))?/.exec(lines[0] ?? '');
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim()] = l.slice(i + 1).trim();
  }
  return { status: first?.[1] ? Number(first[1]) : 0, headers };
}

export class NatsConnection {
  private socket!: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private readonly inbox = `_INBOX.${randomBytes(8).toString('hex')}`;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedWith: Error | undefined;
  info!: ServerInfo;
  private pongs: (() => void)[] = [];

  private constructor(private readonly opts: NatsOptions) {}

  static async connect(opts: NatsOptions): Promise<NatsConnection> {
    const c = new NatsConnection(opts);
    await c.open();
    return c;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  private open(): Promise<void> {
    const u = new URL(this.opts.url);
    const port = Number(u.port || 4222);
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => {
        clearTimeout(timer);
        this.socket?.destroy();
        reject(e);
      };
      const timer = setTimeout(() => fail(new Error(`NATS ${u.host}: no answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      let sock: net.Socket = net.connect({ host: u.hostname, port });
      this.socket = sock;
      let greeted = false;
      let head = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const nl = head.indexOf(CRLF);
        if (nl < 0 || greeted) return;
        greeted = true;
        sock.off('data', onData);
        const line = head.subarray(0, nl).toString();
        if (!line.startsWith('INFO ')) return fail(new Error(`NATS ${u.host}: unexpected greeting ${line.slice(0, 80)}`));
        this.info = JSON.parse(line.slice(5)) as ServerInfo;
        const rest = head.subarray(nl + 2);
        const wantTls = this.opts.tls?.enabled || u.protocol === 'tls:' || this.info.tls_required;
        const proceed = () => {
          sock.setNoDelay(true);
          sock.on('data', (x: Buffer) => this.onData(x));
          sock.on('close', () => this.fail(new Error('NATS connection closed')));
          sock.on('error', (e) => this.fail(e));
          if (rest.length) this.onData(rest);
          const connect: Record<string, unknown> = { verbose: false, pedantic: false, headers: true, no_responders: true, protocol: 1, lang: 'node', version: '1', name: this.opts.name };
          if (this.opts.user !== undefined) Object.assign(connect, { user: this.opts.user, pass: this.opts.password ?? '' });
          if (this.opts.token !== undefined) connect.auth_token = this.opts.token;
          sock.write(`CONNECT ${JSON.stringify(connect)}\r\nSUB ${this.inbox}.* 1\r\n`);
          this.ping()
            .then(() => {
              clearTimeout(timer);
              resolve();
            })
            .catch(fail);
        };
        if (!wantTls) return proceed();
        const t = this.opts.tls;
        const secure = tls.connect({ socket: sock, servername: u.hostname, ca: t?.ca_file ? fs.readFileSync(t.ca_file) : undefined, rejectUnauthorized: !t?.insecure });
        secure.once('secureConnect', () => {
          sock = secure;
          this.socket = secure;
          proceed();
        });
        secure.once('error', fail);
      };
      sock.on('data', onData);
      sock.once('error', fail);
    });
  }

  /** Resolves when the server answered a PING (everything sent before it was processed). */
  ping(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closedWith) return reject(this.closedWith);
      this.pongs.push(resolve);
      this.socket.write('PING\r\n');
    });
  }

  private fail(e: Error): void {
    if (this.closedWith) return;
    this.closedWith = e;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const nl = this.buf.indexOf(CRLF);
      if (nl < 0) return;
      const line = this.buf.subarray(0, nl).toString();
      if (line.startsWith('MSG ') || line.startsWith('HMSG ')) {
        const parts = line.split(' ');
        const hmsg = parts[0] === 'HMSG';
        const total = Number(parts[parts.length - 1]);
        const hdr = hmsg ? Number(parts[parts.length - 2]) : 0;
        if (this.buf.length < nl + 2 + total + 2) return;
        const payload = this.buf.subarray(nl + 2, nl + 2 + total);
        this.buf = this.buf.subarray(nl + 2 + total + 2);
        const subject = parts[1];
        const { status, headers } = hmsg ? parseHeaders(payload.subarray(0, hdr)) : { status: 0, headers: {} };
        this.resolveReply(subject, { status, headers, data: Buffer.from(payload.subarray(hdr)) });
        continue;
      }
      this.buf = this.buf.subarray(nl + 2);
      if (line === 'PING') this.socket.write('PONG\r\n');
      else if (line === 'PONG') this.pongs.shift()?.();
      else if (line.startsWith('-ERR')) this.fail(new Error(`NATS: ${line.slice(5)}`));
      // INFO updates and +OK need nothing.
    }
  }

  private resolveReply(subject: string, r: NatsReply): void {
    const id = Number(subject.slice(this.inbox.length + 1));
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(r);
  }

  /** Publishes with a reply inbox and resolves with the reply. */
  request(subject: string, data: Buffer | string, headers: Record<string, string> = {}, timeoutMs = this.opts.timeoutMs): Promise<NatsReply> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    const reply = `${this.inbox}.${id}`;
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    const names = Object.keys(headers);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`NATS ${subject}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      // One write per message: with Nagle off, separate writes would each be a packet.
      if (names.length) {
        const h = Buffer.from(`NATS/1.0\r\n${names.map((n) => `${n}: ${headers[n]}\r\n`).join('')}\r\n`);
        this.socket.write(Buffer.concat([Buffer.from(`HPUB ${subject} ${reply} ${h.length} ${h.length + body.length}\r\n`), h, body, CRLF]));
      } else {
        this.socket.write(Buffer.concat([Buffer.from(`PUB ${subject} ${reply} ${body.length}\r\n`), body, CRLF]));
      }
    });
  }

  close(): void {
    this.fail(new Error('NATS connection closed by us'));
  }
}
