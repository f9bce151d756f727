// Servers the notifier tests deliver to, on 127.0.0.1: an HTTP endpoint that records requests,
// a syslog listener (UDP and TCP with octet counting) and a small SMTP server with STARTTLS
// and AUTH PLAIN/LOGIN that keeps the messages it accepts.

import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export async function httpRecorder(status: (n: number) => number = () => 200) {
  const requests: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push({ headers: req.headers, body });
      res.writeHead(status(requests.length)).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export async function syslogListener(protocol: 'udp' | 'tcp') {
  const messages: string[] = [];
  if (protocol === 'udp') {
    const sock = dgram.createSocket('udp4');
    sock.on('message', (m) => messages.push(m.toString('utf8')));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    return { port: sock.address().port, messages, close: () => new Promise<void>((r) => sock.close(() => r())) };
  }
  const server = net.createServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      // Octet counting: "LEN SP MSG".
      for (;;) {
        const sp = buf.indexOf(0x20);
        if (sp < 0) return;
        const len = Number(buf.subarray(0, sp).toString());
        if (buf.length < sp + 1 + len) return;
        messages.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
        buf = buf.subarray(sp + 1 + len);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, messages, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A self-signed certificate for 127.0.0.1 / localhost, made with openssl. */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-cert-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const out = { key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(cert, 'utf8') };
  fs.rmSync(dir, { recursive: true });
  return out;
}

export interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
  tls: boolean;
  user?: string;
}

export async function smtpServer(opts: { tls?: { key: string; cert: string }; users?: Record<string, string>; rejectRcpt?: string } = {}) {
  const mails: ReceivedMail[] = [];
  const transcript: string[] = [];
  const server = net.createServer((raw) => {
    let sock: net.Socket = raw;
    let buf = '';
    let state: 'cmd' | 'data' | 'login-user' | 'login-pass' = 'cmd';
    let mail: ReceivedMail = { from: '', to: [], data: '', tls: false };
    let loginUser = '';
    let secure = false;
    let user: string | undefined;
    const say = (l: string) => sock.write(l + '\r\n');
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      for (;;) {
        if (state === 'data') {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          mail.data = buf.slice(0, end + 2).replace(/^\.\./gm, '.');
          buf = buf.slice(end + 5);
          mails.push({ ...mail, tls: secure, user });
          mail = { from: '', to: [], data: '', tls: false };
          state = 'cmd';
          say('250 2.0.0 queued');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        transcript.push(line);
        if (state === 'login-user') {
          loginUser = Buffer.from(line, 'base64').toString();
          state = 'login-pass';
          say('334 UGFzc3dvcmQ6');
          continue;
        }
        if (state === 'login-pass') {
          state = 'cmd';
          if (opts.users?.[loginUser] === Buffer.from(line, 'base64').toString()) {
            user = loginUser;
            say('235 2.7.0 ok');
          } else say('535 5.7.8 bad credentials');
          continue;
        }
        const [verb, ...rest] = line.split(' ');
        switch (verb.toUpperCase()) {
          case 'EHLO':
            say('250-localhost');
            if (opts.tls && !secure) say('250-STARTTLS');
            if (opts.users) say('250-AUTH PLAIN LOGIN');
            say('250 8BITMIME');
            break;
          case 'STARTTLS': {
            say('220 2.0.0 ready');
            raw.removeListener('data', onData);
            const t = new tls.TLSSocket(raw, { isServer: true, key: opts.tls!.key, cert: opts.tls!.cert });
            t.on('data', onData);
            t.on('error', () => {});
            sock = t;
            secure = true;
            buf = '';
            break;
          }
          case 'AUTH': {
            if (rest[0]?.toUpperCase() === 'LOGIN') {
              state = 'login-user';
              say('334 VXNlcm5hbWU6');
              break;
            }
            const [, u, p] = Buffer.from(rest[1] ?? '', 'base64').toString().split('\0');
            if (opts.users?.[u] === p) {
              user = u;
              say('235 2.7.0 ok');
            } else say('535 5.7.8 bad credentials');
            break;
          }
          case 'MAIL':
            if (opts.users && !user) {
              say('530 5.7.0 authentication required');
              break;
            }
            mail.from = /<(.*)>/.exec(line)![1];
            say('250 2.1.0 ok');
            break;
          case 'RCPT': {
            const to = /<(.*)>/.exec(line)![1];
            if (to === opts.rejectRcpt) say('550 5.1.1 no such user');
            else {
              mail.to.push(to);
              say('250 2.1.5 ok');
            }
            break;
          }
          case 'DATA':
            state = 'data';
            say('354 go ahead');
            break;
          case 'QUIT':
            say('221 2.0.0 bye');
            sock.end();
            return;
          default:
            say('502 5.5.2 unknown command');
        }
      }
    };
    raw.on('data', onData);
    raw.on('error', () => {});
    say('220 localhost ESMTP test');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, mails, transcript, close: () => new Promise<void>((r) => server.close(() => r())) };
}
