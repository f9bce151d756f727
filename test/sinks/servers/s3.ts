// A minimal S3-compatible server for tests (no S3 server is packaged in Debian): path-style
// PUT object, GET object and ListObjectsV2, each checked for a valid SigV4 signature and
// payload hash. Objects live in memory and survive stop()/start(), like a real service's
// storage across an outage.

import http from 'node:http';
import type net from 'node:net';
import { sha256Hex, signV4 } from '../../../src/sinks/s3/sigv4.js';
import { freePort } from './ports.js';

export class FakeS3 {
  readonly objects = new Map<string, { body: Buffer; contentType: string }>();
  port = 0;
  private server?: http.Server;
  private readonly sockets = new Set<net.Socket>();
  puts = 0;
  rejected: string[] = [];

  constructor(
    readonly bucket: string,
    private readonly keyId: string,
    private readonly secret: string,
    private readonly region = 'us-east-1',
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
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

  private error(res: http.ServerResponse, status: number, code: string): void {
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
  }

  /** Recomputes the signature from what arrived; any difference means the client signs wrongly. */
  private authorized(req: http.IncomingMessage, body: Buffer, path: string, query: Record<string, string>): string | undefined {
    const auth = req.headers.authorization ?? '';
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return 'AccessDenied';
    if (m[1] !== this.keyId) return 'InvalidAccessKeyId';
    if (m[3] !== this.region) return 'AuthorizationHeaderMalformed';
    const payload = String(req.headers['x-amz-content-sha256'] ?? '');
    if (payload !== sha256Hex(body)) return 'XAmzContentSHA256Mismatch';
    const date = String(req.headers['x-amz-date'] ?? '');
    const when = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
    const headers: Record<string, string> = {};
    for (const name of m[4].split(';')) if (name !== 'x-amz-date' && name !== 'x-amz-content-sha256') headers[name] = String(req.headers[name] ?? '');
    const expect = signV4({ method: req.method!, path, query, headers, payloadSha256: payload }, { accessKeyId: this.keyId, secretAccessKey: this.secret }, this.region, 's3', when);
    return expect.authorization === auth ? undefined : 'SignatureDoesNotMatch';
  }

  private handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const url = new URL(req.url!, 'http://x');
    const rawPath = req.url!.split('?')[0];
    const query = Object.fromEntries(url.searchParams);
    const problem = this.authorized(req, body, rawPath, query);
    if (problem) {
      this.rejected.push(problem);
      return this.error(res, 403, problem);
    }
    const parts = rawPath.split('/');
    if (decodeURIComponent(parts[1] ?? '') !== this.bucket) return this.error(res, 404, 'NoSuchBucket');
    const key = parts.slice(2).map(decodeURIComponent).join('/');
    if (req.method === 'PUT' && key) {
      this.objects.set(key, { body, contentType: String(req.headers['content-type'] ?? '') });
      this.puts++;
      res.writeHead(200, { etag: `"${sha256Hex(body).slice(0, 32)}"` });
      res.end();
      return;
    }
    if (req.method === 'GET' && key) {
      const o = this.objects.get(key);
      if (!o) return this.error(res, 404, 'NoSuchKey');
      res.writeHead(200, { 'content-type': o.contentType, 'content-length': o.body.length });
      res.end(o.body);
      return;
    }
    if (req.method === 'GET' && query['list-type'] === '2') {
      const prefix = query.prefix ?? '';
      const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
      const start = query['continuation-token'] ? keys.indexOf(query['continuation-token']) : 0;
      const page = keys.slice(start, start + 1000);
      const next = keys[start + 1000];
      const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${this.bucket}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>${next ? 'true' : 'false'}</IsTruncated>` +
          page.map((k) => `<Contents><Key>${esc(k)}</Key><Size>${this.objects.get(k)!.body.length}</Size></Contents>`).join('') +
          (next ? `<NextContinuationToken>${esc(next)}</NextContinuationToken>` : '') +
          `</ListBucketResult>`,
      );
      return;
    }
    return this.error(res, 405, 'MethodNotAllowed');
  }
}
