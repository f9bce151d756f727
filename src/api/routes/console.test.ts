import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MetricsRegistry } from '../../metrics/registry.js';
import { parseFilter } from '../../query/index.js';
import { FIELDS } from '../../schema/fields.js';
import type { FlowStore } from '../../store/store.js';
import { silentLogger } from '../../util/log.js';
import { buildApi, CORE_ROUTES, type RouteModule } from '../server.js';
import { TokenStore } from '../tokens.js';
import { consoleRoutesWith, defaultConsoleDir, OPTIONAL_ENDPOINTS, PROTOCOL_NAMES } from './console.js';

const INDEX = '<!doctype html><title>console</title><div id="root"></div>';
const ASSET = 'console.log("app")';

/** A built app in a temp dir (or none), served with the core API routes. */
async function setup(opts: { built: boolean; requireToken?: boolean; extra?: RouteModule[]; without?: string[] }) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-console-'));
  const dir = path.join(root, 'dist');
  if (opts.built) {
    fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.html'), INDEX);
    fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), ASSET);
    fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  }
  fs.writeFileSync(path.join(root, 'secret.txt'), 'not for the web');
  const store = { dialect: 'duckdb', stats: () => ({ appendedRows: 0, bufferedRows: 0, files: 0, bytesOnDisk: 0 }) } as unknown as FlowStore;
  const tokens = new TokenStore(path.join(root, 'tokens.json'));
  // The core list may hold the console already (serving web/dist); this one serves the temp dir.
  const app = await buildApi({ version: 'test', store, metrics: new MetricsRegistry(), log: silentLogger, tokens, requireToken: opts.requireToken ?? false }, [...CORE_ROUTES.filter((r) => r.name !== 'consoleRoutes' && !(opts.without ?? []).includes(r.name)), ...(opts.extra ?? []), consoleRoutesWith({ dir })]);
  await app.ready();
  return {
    app,
    tokens,
    async close() {
      await app.close();
      fs.rmSync(root, { recursive: true });
    },
  };
}

test('the app is served at / and at every page path, assets as files', async () => {
  const s = await setup({ built: true });
  try {
    for (const url of ['/', '/search?q=src_addr%3A10.0.0.0%2F16', '/flowlogs', '/inventory?sel=vpc-1', '/deep/page/path']) {
      const r = await s.app.inject({ url });
      assert.equal(r.statusCode, 200, url);
      assert.equal(r.body, INDEX, url);
      assert.match(String(r.headers['content-type']), /^text\/html/, url);
      assert.equal(r.headers['cache-control'], 'no-cache', url);
    }
    const js = await s.app.inject({ url: '/assets/index-abc123.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.body, ASSET);
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.match(String(js.headers['cache-control']), /immutable/);
    const svg = await s.app.inject({ url: '/favicon.svg' });
    assert.equal(svg.statusCode, 200);
    assert.match(String(svg.headers['content-type']), /^image\/svg\+xml/);
  } finally {
    await s.close();
  }
});

test('missing files and unknown API paths are 404s, not the app', async () => {
  const s = await setup({ built: true });
  try {
    const asset = await s.app.inject({ url: '/assets/gone-123.js' });
    assert.equal(asset.statusCode, 404);
    assert.notEqual(asset.body, INDEX);
    for (const url of ['/api/nothing-here', '/api/not-a-resource/1', '/api']) {
      const r = await s.app.inject({ url });
      assert.equal(r.statusCode, 404, url);
      assert.deepEqual(r.json(), { error: `no route GET ${url}` });
    }
    // The existing API is untouched by the catch-all.
    const health = await s.app.inject({ url: '/api/health' });
    assert.equal(health.statusCode, 200);
    assert.equal((health.json() as { status: string }).status, 'ok');
  } finally {
    await s.close();
  }
});

test('paths that climb out of the app directory are refused', async () => {
  const s = await setup({ built: true });
  try {
    for (const url of ['/../secret.txt', '/assets/..%2F..%2Fsecret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt']) {
      const r = await s.app.inject({ url });
      assert.notEqual(r.body, 'not for the web', url);
      assert.ok(r.statusCode === 403 || r.statusCode === 404 || (r.statusCode === 200 && r.body === INDEX), `${url}: ${r.statusCode}`);
    }
  } finally {
    await s.close();
  }
});

test('without a built app, / says how to build it', async () => {
  const s = await setup({ built: false });
  try {
    const r = await s.app.inject({ url: '/' });
    assert.equal(r.statusCode, 503);
    assert.match(r.body, /npm run build/);
  } finally {
    await s.close();
  }
});

test('the app is public; the schema, like all data, needs the token', async () => {
  const s = await setup({ built: true, requireToken: true });
  try {
    const token = await s.tokens.create('admin', ['*']);
    assert.equal((await s.app.inject({ url: '/' })).statusCode, 200);
    assert.equal((await s.app.inject({ url: '/flowlogs' })).statusCode, 200);
    assert.equal((await s.app.inject({ url: '/assets/index-abc123.js' })).statusCode, 200);
    assert.equal((await s.app.inject({ url: '/api/schema' })).statusCode, 401);
    const ok = await s.app.inject({ url: '/api/schema', headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.statusCode, 200);
  } finally {
    await s.close();
  }
});

test('/api/schema lists every field of the record, with enum values, and protocol names the query language takes', async () => {
  const s = await setup({ built: true });
  try {
    const body = (await s.app.inject({ url: '/api/schema' })).json() as { fields: Array<{ name: string; type: string; values?: string[] }>; dimensions: string[]; metrics: string[]; protocols: string[] };
    assert.deepEqual(
      body.fields.map((f) => f.name),
      FIELDS.map((f) => f.name),
    );
    assert.deepEqual(body.fields.find((f) => f.name === 'action')?.values, ['ACCEPT', 'REJECT']);
    assert.equal(body.fields.find((f) => f.name === 'src_addr')?.type, 'ip');
    for (const d of ['src', 'dst', 'eni', 'src_country', 'rule']) assert.ok(body.dimensions.includes(d), d);
    assert.deepEqual(body.metrics, ['bytes', 'packets', 'flows', 'peers']);
    assert.ok(body.protocols.includes('tcp') && body.protocols.includes('icmp'));
    for (const p of PROTOCOL_NAMES) assert.doesNotThrow(() => parseFilter(`protocol:${p}`), p);
  } finally {
    await s.close();
  }
});

test('/api/schema says which optional endpoints this server has', async () => {
  const answers = OPTIONAL_ENDPOINTS.filter((e) => e === 'GET /api/diagnose' || e.startsWith('GET /api/answers/'));
  const s = await setup({ built: true });
  try {
    const body = (await s.app.inject({ url: '/api/schema' })).json() as { available: string[] };
    for (const e of answers) assert.ok(body.available.includes(e), e);
    for (const e of body.available) assert.ok((OPTIONAL_ENDPOINTS as readonly string[]).includes(e), e);
  } finally {
    await s.close();
  }
  // A server without the answers says so, and the console shows them as not available.
  const bare = await setup({ built: true, without: ['answersRoutes'] });
  try {
    const body = (await bare.app.inject({ url: '/api/schema' })).json() as { available: string[] };
    for (const e of answers) assert.ok(!body.available.includes(e), e);
  } finally {
    await bare.close();
  }
});

test('the default app directory is web/dist of the package', () => {
  const here = path.dirname(new URL(import.meta.url).pathname);
  const dir = defaultConsoleDir(here);
  assert.equal(path.basename(dir), 'dist');
  assert.equal(path.basename(path.dirname(dir)), 'web');
  assert.ok(fs.existsSync(path.join(path.dirname(path.dirname(dir)), 'package.json')));
});
