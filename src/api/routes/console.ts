// The web console on the API's port: the built app (web/dist) at `/` with its assets, every
// other page path answered with the app's index.html (the app routes in the browser), and
// GET /api/schema, the flow record's fields and the analyses' dimensions the console's
// completion and pickers are built from. The app itself is public; the data it asks for is not.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DIMENSIONS, METRICS } from '../../analyze/analyses.js';
import { FIELDS } from '../../schema/fields.js';
import type { ApiContext } from '../context.js';

/** Protocol names the query language accepts for `protocol:` (src/query/field-values.ts). */
export const PROTOCOL_NAMES = ['icmp', 'igmp', 'tcp', 'udp', 'gre', 'esp', 'ah', 'icmpv6', 'ospf', 'sctp'];

/**
 * Endpoints some console pages use that a server may not have (features not built into it);
 * /api/schema says which are there, so the console shows "not available" without asking.
 */
export const OPTIONAL_ENDPOINTS = [
  'GET /api/alerts',
  'GET /api/intel/lists',
  'GET /api/flowlogs',
  'GET /api/inventory',
  'GET /api/diagnose',
  'GET /api/answers/storms',
  'GET /api/answers/hogs',
  'GET /api/answers/policy/hits',
  'GET /api/answers/policy/unused',
  'GET /api/answers/policy/broad',
  'GET /api/answers/policy/propose',
  'GET /api/answers/baselines',
  'GET /api/answers/capacity',
  'GET /api/answers/regions',
] as const;

export interface ConsoleOptions {
  /** The built app; default: web/dist of the flowlogs package this module belongs to. */
  dir?: string;
}

/** web/dist of the package holding this module (from src/ under tsx, dist/src/ when built). */
export function defaultConsoleDir(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'web', 'dist');
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(from, '../../../web/dist');
    dir = up;
  }
}

/** Paths the API owns: never answered with the app. */
function isApiPath(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url.startsWith('/api?') || url === '/metrics' || url.startsWith('/metrics?');
}

/** Whether the last segment names a file (has an extension) rather than a page of the app. */
function looksLikeFile(pathname: string): boolean {
  const last = pathname.slice(pathname.lastIndexOf('/') + 1);
  return last.includes('.');
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>flowlogs</title>
<p>The flowlogs console has not been built. Run <code>npm run build</code> in the flowlogs directory, then reload. The HTTP API is available under <code>/api/</code>.</p>`;

export function consoleRoutesWith(options: ConsoleOptions = {}) {
  const dir = path.resolve(options.dir ?? defaultConsoleDir());

  return function consoleRoutes(app: FastifyInstance, _ctx: ApiContext): void {
    app.get('/api/schema', async () => ({
      fields: FIELDS,
      dimensions: Object.keys(DIMENSIONS),
      metrics: [...METRICS],
      protocols: PROTOCOL_NAMES,
      available: OPTIONAL_ENDPOINTS.filter((e) => {
        const [method, url] = e.split(' ') as ['GET', string];
        return app.hasRoute({ method, url });
      }),
    }));

    const built = () => fs.existsSync(path.join(dir, 'index.html'));
    // Only the reply decorator: the routes below decide what is a file and what is a page.
    void app.register(fastifyStatic, { root: dir, serve: false });

    const page = (reply: FastifyReply) => {
      if (!built()) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
      // The app shell changes with every build; its assets have hashed names and never do.
      return reply.header('cache-control', 'no-cache').sendFile('index.html', dir, { cacheControl: false });
    };

    app.get('/', { config: { public: true } }, async (_req, reply) => page(reply));
    app.get('/*', { config: { public: true } }, async (req, reply) => {
      const pathname = req.url.split('?')[0];
      if (isApiPath(req.url)) return reply.callNotFound();
      if (!looksLikeFile(pathname)) return page(reply);
      const immutable = pathname.startsWith('/assets/');
      return reply.sendFile(pathname.slice(1), dir, immutable ? { maxAge: 365 * 86400 * 1000, immutable: true } : { maxAge: 0 });
    });
  };
}

export const consoleRoutes = consoleRoutesWith();
