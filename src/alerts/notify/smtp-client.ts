// A small SMTP client (RFC 5321): EHLO, STARTTLS (RFC 3207) or TLS from the start, AUTH PLAIN
// or LOGIN (RFC 4954), one message to one or more recipients, QUIT. Enough to hand alert
// mail to a relay; it does not queue (the notifier retries) and sends 7-bit messages only.

import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';

export interface SmtpOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465). */
  secure: boolean;
  /** Upgrade with STARTTLS: when offered ('auto'), required ('always') or not ('never'). */
  starttls: 'auto' | 'always' | 'never';
  username?: string;
  password?: string;
  /** Name sent with EHLO; default the host name. */
  heloName?: string;
  timeoutMs: number;
  rejectUnauthorized: boolean;
  /** PEM certificates to trust besides the system's. */
  ca?: string;
}

export interface SmtpReply {
  code: number;
  lines: string[];
}

export class SmtpError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'SmtpError';
  }
}

class Connection {
  private buf = '';
  private waiting?: { resolve: (r: SmtpReply) => void; reject: (e: Error) => void };
  private failure?: Error;
  private socket: net.Socket;

  constructor(
    socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  private attach(s: net.Socket): void {
    s.setEncoding('utf8');
    s.setTimeout(this.timeoutMs, () => this.fail(new SmtpError(`no answer from the SMTP server in ${this.timeoutMs} ms`)));
    s.on('data', (d: string) => {
      this.buf += d;
      this.deliver();
    });
    s.on('error', (e) => this.fail(e));
    s.on('close', () => this.fail(new SmtpError('the SMTP server closed the connection')));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(this.failure);
  }

  private deliver(): void {
    if (!this.waiting) return;
    const lines: string[] = [];
    let at = 0;
    for (;;) {
      const nl = this.buf.indexOf('\n', at);
      if (nl < 0) return;
      const line = this.buf.slice(at, nl).replace(/\r$/, '');
      at = nl + 1;
      lines.push(line);
      if (/^\d{3}(?: |$)/.test(line)) {
        this.buf = this.buf.slice(at);
        const w = this.waiting;
        this.waiting = undefined;
        w.resolve({ code: Number(line.slice(0, 3)), lines: lines.map((l) => l.slice(4)) });
        return;
      }
      if (!/^\d{3}-/.test(line)) {
        this.fail(new SmtpError(`not an SMTP reply: '${line.slice(0, 80)}'`));
        return;
      }
    }
  }

  read(): Promise<SmtpReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.deliver();
    });
  }

  async command(line: string, expect: number[], what = line.split(' ')[0]): Promise<SmtpReply> {
    this.socket.write(line + '\r\n');
    const r = await this.read();
    if (!expect.includes(r.code)) throw new SmtpError(`${what}: ${r.code} ${r.lines.join(' ')}`, r.code);
    return r;
  }

  write(data: string): void {
    this.socket.write(data);
  }

  /** Replaces the plain socket with TLS over it (after STARTTLS). */
  async upgrade(opts: tls.ConnectionOptions): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    plain.setTimeout(0);
    const secure = tls.connect({ ...opts, socket: plain });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.buf = '';
    this.attach(secure);
  }

  end(): void {
    this.socket.removeAllListeners('close');
    this.socket.end();
  }

  destroy(): void {
    this.socket.removeAllListeners('close');
    this.socket.destroy();
  }
}

function connect(o: SmtpOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const tlsOpts = { host: o.host, port: o.port, servername: net.isIP(o.host) ? undefined : o.host, rejectUnauthorized: o.rejectUnauthorized, ca: o.ca };
    const s = o.secure ? tls.connect(tlsOpts) : net.connect({ host: o.host, port: o.port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new SmtpError(`could not connect to ${o.host}:${o.port} in ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    s.once(o.secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Doubles a leading dot on every line and ends the data with CRLF.CRLF (RFC 5321 §4.5.2). */
export function dotStuff(message: string): string {
  const crlf = message.replace(/\r?\n/g, '\r\n');
  return crlf.replace(/^\./gm, '..') + (crlf.endsWith('\r\n') ? '' : '\r\n') + '.\r\n';
}

/** Sends `message` (headers and body, CRLF or LF line ends) from `from` to every address in `to`. */
export async function sendMail(o: SmtpOptions, from: string, to: readonly string[], message: string): Promise<void> {
  const c = new Connection(await connect(o), o.timeoutMs);
  try {
    const greeting = await c.read();
    if (greeting.code !== 220) throw new SmtpError(`greeting: ${greeting.code} ${greeting.lines.join(' ')}`, greeting.code);
    const helo = o.heloName ?? (os.hostname() || 'localhost');
    let ehlo = await c.command(`EHLO ${helo}`, [250]);
    let caps = ehlo.lines.slice(1).map((l) => l.toUpperCase());
    if (!o.secure && o.starttls !== 'never') {
      if (caps.some((l) => l.startsWith('STARTTLS'))) {
        await c.command('STARTTLS', [220]);
        await c.upgrade({ host: o.host, servername: net.isIP(o.host) ? undefined : o.host, rejectUnauthorized: o.rejectUnauthorized, ca: o.ca });
        ehlo = await c.command(`EHLO ${helo}`, [250]);
        caps = ehlo.lines.slice(1).map((l) => l.toUpperCase());
      } else if (o.starttls === 'always') throw new SmtpError(`${o.host} does not offer STARTTLS`);
    }
    if (o.username !== undefined) {
      const auth = caps.find((l) => l.startsWith('AUTH'))?.split(/[\s=]+/).slice(1) ?? [];
      if (auth.includes('PLAIN')) {
        await c.command(`AUTH PLAIN ${Buffer.from(`\0${o.username}\0${o.password ?? ''}`).toString('base64')}`, [235], 'AUTH PLAIN');
      } else if (auth.includes('LOGIN')) {
        await c.command('AUTH LOGIN', [334]);
        await c.command(Buffer.from(o.username).toString('base64'), [334], 'AUTH LOGIN user');
        await c.command(Buffer.from(o.password ?? '').toString('base64'), [235], 'AUTH LOGIN password');
      } else throw new SmtpError(`${o.host} offers no AUTH method we speak (PLAIN, LOGIN)`);
    }
    await c.command(`MAIL FROM:<${from}>`, [250], 'MAIL FROM');
    for (const r of to) await c.command(`RCPT TO:<${r}>`, [250, 251], `RCPT TO ${r}`);
    await c.command('DATA', [354]);
    c.write(dotStuff(message));
    const done = await c.read();
    if (done.code !== 250) throw new SmtpError(`message refused: ${done.code} ${done.lines.join(' ')}`, done.code);
    await c.command('QUIT', [221]).catch(() => undefined);
    c.end();
  } catch (e) {
    c.destroy();
    throw e;
  }
}
