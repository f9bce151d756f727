// HTTP for sinks: one keep-alive agent per target, a timeout on every request, and one rule
// for what a status means: 2xx delivered; 408, 429 and 5xx (and any network error) retried;
// other 4xx refused for good (the data or the request is wrong, sending it again cannot help).

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import { PermanentError } from './destination.js';

export const tlsSettings = z
  .object({
    /** PEM file of the CA that signed the server's certificate (default: system CAs). */
    ca_file: z.string().optional(),
    /** Skip certificate verification (test setups only). */
    insecure: z.boolean().default(false),
  })
  .strict()
  .prefault({});

export const httpSettings = {
  /** Base URL of the target. */
  url: z.string().url(),
  headers: z.record(z.string(), z.string()).default({}),
  username: z.string().optional(),
  password: z.string().optional(),
  timeout_ms: z.number().int().min(100).default(30_000),
  tls: tlsSettings,
};

export interface HttpTarget {
  url: string;
  headers: Record<string, string>;
  username?: string;
  password?: string;
  timeout_ms: number;
  tls: { ca_file?: string; insecure: boolean };
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpStatusError';
  }
}

/** True for statuses worth retrying. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(private readonly t: HttpTarget) {
    this.base = new URL(t.url);
    const https_ = this.base.protocol === 'https:';
    this.agent = https_
      ? new https.Agent({ keepAlive: true, maxSockets: 4, ca: t.tls.ca_file ? fs.readFileSync(t.tls.ca_file) : undefined, rejectUnauthorized: !t.tls.insecure })
      : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  /** `path` (with query) is resolved against the base URL's path. */
  url(path: string): URL {
    const base = this.base.pathname.endsWith('/') ? this.base.pathname.slice(0, -1) : this.base.pathname;
    return new URL(base + path, this.base);
  }

  request(method: string, path: string, body?: Buffer | string | Buffer[], headers: Record<string, string> = {}): Promise<HttpResponse> {
    const url = this.url(path);
    const h: Record<string, string> = { ...this.t.headers, ...headers };
    if (this.t.username !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'authorization'))
      h.authorization = 'Basic ' + Buffer.from(`${this.t.username}:${this.t.password ?? ''}`).toString('base64');
    const parts = body === undefined ? [] : Array.isArray(body) ? body : [typeof body === 'string' ? Buffer.from(body) : body];
    const length = parts.reduce((n, p) => n + p.length, 0);
    if (body !== undefined) h['content-length'] = String(length);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method, headers: h, agent: this.agent, timeout: this.t.timeout_ms }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.host}${url.pathname}: no answer within ${this.t.timeout_ms} ms`)));
      req.on('error', reject);
      for (const p of parts) req.write(p);
      req.end();
    });
  }

  /** Like request(), but a status other than 2xx throws (PermanentError when not retryable). */
  async send(method: string, path: string, body?: Buffer | string | Buffer[], headers: Record<string, string> = {}): Promise<HttpResponse> {
    const res = await this.request(method, path, body, headers);
    if (res.status >= 200 && res.status < 300) return res;
    const text = res.body.toString('utf8', 0, Math.min(res.body.length, 500)).trim();
    const msg = `${method} ${this.url(path).pathname}: HTTP ${res.status}${text ? `: ${text}` : ''}`;
    if (retryableStatus(res.status)) throw new HttpStatusError(res.status, msg);
    throw new PermanentError(msg);
  }

  close(): void {
    this.agent.destroy();
  }
}
