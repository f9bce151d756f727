// A role without the API (collect, write) still answers /metrics (Prometheus text) and
// /health on a small HTTP listener, so it can be scraped and probed like the server.

import http from 'node:http';
import type { MetricsRegistry } from '../metrics/registry.js';
import { InputError } from '../util/errors.js';

export interface StatusServer {
  url: string;
  close(): Promise<void>;
}

export async function startStatusServer(listen: string, metrics: MetricsRegistry, health: () => Record<string, unknown>): Promise<StatusServer | undefined> {
  if (!listen) return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen.trim());
  if (!m) throw new InputError(`metrics_listen: '${listen}' is not host:port`);
  const host = m[1] ?? (m[2] || '127.0.0.1');
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(metrics.render());
    } else if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', ...health() }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[3]), host, () => resolve());
  });
  const addr = server.address() as { port: number };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
