// The NATS client protocol, as much as the bus and the NATS sink need: CONNECT (user/password
// or token, TLS upgrade), PUB/HPUB with headers, SUB/UNSUB, MSG/HMSG with headers and status
// codes, PING/PONG, request/reply over one wildcard inbox. Requests are pipelined: many go out
// before the first reply comes back, which is what makes a batch of JetStream publishes cheap.
// One connection is one socket; when it drops, everything waiting on it fails with the error
// that closed it, and the owner connects again (the bus's loops retry with backoff, the sink
// on its next delivery).
// The parser keeps one buffer with a read offset, so a megabyte message that arrives in many
// chunks is copied once, not once per chunk.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

export interface NatsOptions {
  /** nats://host:port or tls://host:port; user:password@ in the URL works too. */
  url: string;
  name: string;
  timeoutMs?: number;
  user?: string;
  password?: string;
  token?: string;
  /**
   * TLS is used when the URL is tls://, the server requires it, or this is given with `enabled`
   * not false (a sink's settings always carry a tls object, so its presence cannot mean "on").
   */
  tls?: { ca_file?: string; insecure?: boolean; enabled?: boolean };
}

export interface ServerInfo {
  server_id: string;
  version: string;
  max_payload: number;
  headers?: boolean;
  jetstream?: boolean;
  tls_required?: boolean;
}

export interface NatsMsg {
  subject: string;
  reply?: string;
  /** From a status-only header line (404 no messages, 408 timeout, 503 no responders); 0 otherwise. */
  status: number;
  description: string;
  headers: Record<string, string>;
  data: Buffer;
}

export type MsgHandler = (m: NatsMsg) => void;

export class NatsError extends Error {
  override readonly name = 'NatsError';
}

const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);

function parseHeaders(block: Buffer): { status: number; description: string; headers: Record<string, string> } {
  const lines = block.toString('utf8').split('\r\n');
  const first = /^NATS\/1\.0(?:\s+(\d{3})(?:\s+(.*))?)?/.exec(lines[0] ?? '');
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim()] = l.slice(i + 1).trim();
  }
  return { status: first?.[1] ? Number(first[1]) : 0, description: first?.[2] ?? '', headers };
}

function headerBlock(headers: Record<string, string>): Buffer {
  let s = 'NATS/1.0\r\n';
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return Buffer.from(s + '\r\n');
}

interface Pending {
  resolve: (m: NatsMsg) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class NatsConnection {
  info!: ServerInfo;
  private socket!: net.Socket;
  private buf: Buffer = EMPTY;
  private off = 0;
  private parts: Buffer[] = [];
  private partsLen = 0;
  private waitingFor = 0;
  private nextSid = 1;
  private readonly subs = new Map<number, MsgHandler>();
  private readonly inbox = `_INBOX.${randomBytes(10).toString('hex')}`;
  private nextReq = 1;
  private readonly requests = new Map<string, Pending>();
  private pongs: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private error: Error | undefined;
  private closeListeners: ((e: Error) => void)[] = [];
  private readonly timeoutMs: number;

  private constructor(private readonly opts: NatsOptions) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  static async connect(opts: NatsOptions): Promise<NatsConnection> {
    const c = new NatsConnection(opts);
    await c.open();
    return c;
  }

  get isClosed(): boolean {
    return this.error !== undefined;
  }

  /** Called once when the connection is lost or closed. */
  onClose(fn: (e: Error) => void): void {
    if (this.error) fn(this.error);
    else this.closeListeners.push(fn);
  }

  private open(): Promise<void> {
    const u = new URL(this.opts.url);
    const port = Number(u.port || 4222);
    const user = this.opts.user ?? (u.username ? decodeURIComponent(u.username) : undefined);
    const pass = this.opts.password ?? (u.password ? decodeURIComponent(u.password) : undefined);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.socket?.destroy();
        reject(new NatsError(`NATS ${u.host}: ${e.message}`));
      };
      const timer = setTimeout(() => fail(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      let sock: net.Socket = net.connect({ host: u.hostname, port });
      this.socket = sock;
      let head = EMPTY;
      const onGreeting = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const nl = head.indexOf(CRLF);
        if (nl < 0) return;
        sock.off('data', onGreeting);
        const line = head.subarray(0, nl).toString();
        if (!line.startsWith('INFO ')) return fail(new Error(`unexpected greeting ${line.slice(0, 80)}`));
        this.info = JSON.parse(line.slice(5)) as ServerInfo;
        const rest = head.subarray(nl + 2);
        const proceed = () => {
          sock.setNoDelay(true);
          sock.removeAllListeners('error');
          sock.on('data', (x: Buffer) => this.onData(x));
          sock.on('close', () => this.fail(new NatsError('NATS connection lost')));
          sock.on('error', (e) => this.fail(new NatsError(`NATS: ${e.message}`)));
          if (rest.length) this.onData(rest);
          const connect: Record<string, unknown> = { verbose: false, pedantic: false, headers: true, no_responders: true, protocol: 1, lang: 'node', version: '1', name: this.opts.name };
          if (user !== undefined) Object.assign(connect, { user, pass: pass ?? '' });
          if (this.opts.token !== undefined) connect.auth_token = this.opts.token;
          sock.write(`CONNECT ${JSON.stringify(connect)}\r\nSUB ${this.inbox}.* 0\r\n`);
          this.subs.set(0, (m) => this.onReply(m));
          this.flush()
            .then(() => {
              settled = true;
              clearTimeout(timer);
              resolve();
            })
            .catch(fail);
        };
        const wantTls = u.protocol === 'tls:' || (this.opts.tls !== undefined && this.opts.tls.enabled !== false) || this.info.tls_required;
        if (!wantTls) return proceed();
        const t = this.opts.tls ?? {};
        const secure = tls.connect({ socket: sock, servername: u.hostname, ca: t.ca_file ? fs.readFileSync(t.ca_file) : undefined, rejectUnauthorized: !t.insecure });
        secure.once('secureConnect', () => {
          sock = secure;
          this.socket = secure;
          proceed();
        });
        secure.once('error', fail);
      };
      sock.on('data', onGreeting);
      sock.once('error', fail);
      sock.once('close', () => fail(new Error('connection closed')));
    });
  }

  private fail(e: Error): void {
    if (this.error) return;
    this.error = e;
    for (const p of this.requests.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.requests.clear();
    for (const p of this.pongs) p.reject(e);
    this.pongs = [];
    this.socket.destroy();
    for (const fn of this.closeListeners) fn(e);
    this.closeListeners = [];
  }

  private onData(d: Buffer): void {
    // A message longer than what arrived waits in `parts` until all of it is here, then is
    // joined once (copying the buffer per chunk would make big messages quadratic).
    if (this.waitingFor > 0) {
      this.parts.push(d);
      this.partsLen += d.length;
      if (this.partsLen < this.waitingFor) return;
      d = Buffer.concat(this.parts, this.partsLen);
      this.parts = [];
      this.partsLen = 0;
      this.waitingFor = 0;
    }
    if (this.off >= this.buf.length) {
      this.buf = d;
      this.off = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.off), d]);
      this.off = 0;
    }
    const b = this.buf;
    for (;;) {
      const nl = b.indexOf(CRLF, this.off);
      if (nl < 0) break;
      const c0 = b[this.off];
      if (c0 === 0x4d /* M */ || c0 === 0x48 /* H */) {
        const line = b.toString('latin1', this.off, nl);
        const parts = line.split(' ');
        const hmsg = parts[0] === 'HMSG';
        if (!hmsg && parts[0] !== 'MSG') {
          this.fail(new NatsError(`NATS: unexpected line ${line.slice(0, 80)}`));
          return;
        }
        const total = Number(parts[parts.length - 1]);
        const hdr = hmsg ? Number(parts[parts.length - 2]) : 0;
        const reply = parts.length === (hmsg ? 6 : 5) ? parts[3] : undefined;
        if (b.length < nl + 2 + total + 2) {
          // Keep the unread rest as the first part; wait for the whole message.
          const rest = b.subarray(this.off);
          this.parts = [rest];
          this.partsLen = rest.length;
          this.waitingFor = nl + 2 + total + 2 - this.off;
          this.buf = EMPTY;
          this.off = 0;
          return;
        }
        const payload = b.subarray(nl + 2, nl + 2 + total);
        this.off = nl + 2 + total + 2;
        const h = hmsg ? parseHeaders(payload.subarray(0, hdr)) : { status: 0, description: '', headers: {} };
        const handler = this.subs.get(Number(parts[2]));
        handler?.({ subject: parts[1], reply, status: h.status, description: h.description, headers: h.headers, data: payload.subarray(hdr) });
        continue;
      }
      const line = b.toString('latin1', this.off, nl);
      this.off = nl + 2;
      if (line === 'PING') this.socket.write('PONG\r\n');
      else if (line === 'PONG') this.pongs.shift()?.resolve();
      else if (line.startsWith('-ERR')) {
        this.fail(new NatsError(`NATS: ${line.slice(5)}`));
        return;
      }
      // INFO updates and +OK need nothing.
    }
    if (this.off >= b.length) {
      this.buf = EMPTY;
      this.off = 0;
    }
  }

  private onReply(m: NatsMsg): void {
    const p = this.requests.get(m.subject);
    if (!p) return;
    this.requests.delete(m.subject);
    clearTimeout(p.timer);
    p.resolve(m);
  }

  /** Resolves when the server has processed everything sent before. */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.error) return reject(this.error);
      this.pongs.push({ resolve, reject });
      this.socket.write('PING\r\n');
    });
  }

  /** True when the socket's buffer is below its high-water mark. */
  publish(subject: string, data: Uint8Array | string = EMPTY, opts: { reply?: string; headers?: Record<string, string> } = {}): boolean {
    if (this.error) throw this.error;
    const body = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const reply = opts.reply ? ` ${opts.reply}` : '';
    // Corked so the parts leave in one writev: with Nagle off, each write would be a packet.
    this.socket.cork();
    if (opts.headers && Object.keys(opts.headers).length) {
      const h = headerBlock(opts.headers);
      this.socket.write(Buffer.from(`HPUB ${subject}${reply} ${h.length} ${h.length + body.length}\r\n`));
      this.socket.write(h);
    } else this.socket.write(Buffer.from(`PUB ${subject}${reply} ${body.length}\r\n`));
    if (body.length) this.socket.write(body);
    const below = this.socket.write(CRLF);
    this.socket.uncork();
    return below;
  }

  /** Waits until the socket has sent what is buffered (backpressure for bulk publishing). */
  drained(): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (!this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once('drain', () => resolve());
      this.onClose(reject);
    });
  }

  request(subject: string, data: Uint8Array | string, opts: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<NatsMsg> {
    if (this.error) return Promise.reject(this.error);
    const reply = `${this.inbox}.${this.nextReq++}`;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.delete(reply);
        reject(new NatsError(`NATS ${subject}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.requests.set(reply, { resolve, reject, timer });
      try {
        this.publish(subject, data, { reply, headers: opts.headers });
      } catch (e) {
        clearTimeout(timer);
        this.requests.delete(reply);
        reject(e as Error);
      }
    });
  }

  subscribe(subject: string, handler: MsgHandler): number {
    if (this.error) throw this.error;
    const sid = this.nextSid++;
    this.subs.set(sid, handler);
    this.socket.write(`SUB ${subject} ${sid}\r\n`);
    return sid;
  }

  unsubscribe(sid: number): void {
    this.subs.delete(sid);
    if (!this.error) this.socket.write(`UNSUB ${sid}\r\n`);
  }

  /** A fresh subject under this connection's inbox, for a subscription's replies. */
  newInbox(): string {
    return `_INBOX.${randomBytes(10).toString('hex')}`;
  }

  close(): void {
    this.fail(new NatsError('NATS connection closed'));
  }
}
