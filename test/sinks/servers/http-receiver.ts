// An HTTP server for tests that stops and starts on the same port, with a handler per test:
// the webhook receiver, and the Elasticsearch bulk API and Splunk HEC stand-ins (neither
// server can be installed here; these implement their documented requests and answers).

import http from 'node:http';
import type net from 'node:net';
import zlib from 'node:zlib';
import { freePort } from './ports.js';

export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Handler = (r: Received) => { status: number; body?: unknown; headers?: Record<string, string> };

export class HttpReceiver {
  port = 0;
  private server?: http.Server;
  private readonly sockets = new Set<net.Socket>();
  readonly requests: Received[] = [];

  constructor(private readonly handler: Handler) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
        const r: Received = { method: req.method!, path: req.url!, headers: req.headers, body };
        this.requests.push(r);
        const out = this.handler(r);
        const text = out.body === undefined ? '' : typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
        res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
        res.end(text);
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((r) => s?.close(() => r()) ?? r());
  }
}
