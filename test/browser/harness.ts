// What the browser tests run against: `flowlogs demo` in a temporary data directory on a free
// port (its history backfilled before the tests start), and Debian's Chromium driven by
// playwright-core with a fresh profile and no network of its own.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { repoRoot } from '../support/paths.js';

export const CHROMIUM = process.env.FLOWLOGS_CHROMIUM ?? '/usr/bin/chromium';
const BIN = path.join(repoRoot, 'bin', 'flowlogs.js');

/** Where screenshots of every page are written for review (git-ignored). */
export const SCREENSHOTS = path.join(repoRoot, 'test', 'browser', 'screenshots');

export interface DemoOptions {
  /** Hours of backfilled history. */
  history: number;
  /** Flows per window at the daily peak. */
  rate?: number;
  /** Window length, seconds. */
  window?: number;
  /** Create an API token first, so the server requires one. */
  token?: boolean;
  /** How long the backfill may take. */
  readyTimeoutMs?: number;
  /** Names the server's log kept beside the screenshots. */
  label?: string;
}

export interface Demo {
  url: string;
  dataDir: string;
  token?: string;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /** A request to the API with the token. */
  api<T>(pathAndQuery: string, init?: { method?: string; body?: unknown }): Promise<T>;
  stop(): Promise<void>;
}

function flowlogs(args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`flowlogs ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Starts `flowlogs demo` and resolves once its history is written (the ground truth file exists). */
export async function startDemo(o: DemoOptions): Promise<Demo> {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) throw new Error('the browser tests run the built flowlogs: run `npm run build` first');
  if (!fs.existsSync(path.join(repoRoot, 'web', 'dist', 'index.html'))) throw new Error('the console is not built (web/dist): run `npm run build`, which builds it with vite');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-console-'));
  const token = o.token ? flowlogs(['token', 'create', '--name', 'browser', '--data', dataDir]).trim() : undefined;
  const args = ['demo', '--data', dataDir, '--port', '0', '--no-collectors', '--history', String(o.history)];
  if (o.rate) args.push('--rate', String(o.rate));
  if (o.window) args.push('--window', String(o.window));
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    }
    // What the server said, kept beside the screenshots for whoever reviews a failure.
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    fs.writeFileSync(path.join(SCREENSHOTS, `${o.label ?? 'demo'}-server.log`), out);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (o.readyTimeoutMs ?? 180_000);
  let url = '';
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`flowlogs demo exited with ${child.exitCode}:\n${out.slice(-4000)}`);
      url ||= /flowlogs (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
      if (url && fs.existsSync(path.join(dataDir, 'demo-ground-truth.json'))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (!url || !fs.existsSync(path.join(dataDir, 'demo-ground-truth.json'))) throw new Error(`flowlogs demo did not finish its history in time:\n${out.slice(-4000)}`);
  } catch (e) {
    await stop();
    throw e;
  }
  const api = async <T>(p: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url + p, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${p}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return { url, dataDir, token, output: () => out, api, stop };
}

export interface ConsoleProblem {
  page: string;
  text: string;
  url?: string;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions so far. */
  problems: ConsoleProblem[];
  close(): Promise<void>;
}

/** The flags Chromium needs on a machine with no network and no display. */
export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser(viewport = { width: 1280, height: 800 }): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport });
  const problems: ConsoleProblem[] = [];
  const watch = (p: Page) => {
    p.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error') problems.push({ page: p.url(), text: m.text(), url: m.location().url });
    });
    p.on('pageerror', (e) => problems.push({ page: p.url(), text: `uncaught: ${e.message}` }));
  };
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until nothing on the page is loading: no loading states, every chart drawn. */
export async function settled(page: Page, timeout = 30_000): Promise<void> {
  // As text: this file is compiled without the DOM's types.
  await page.waitForFunction(`document.querySelector('#main') !== null && document.querySelectorAll('.state-loading, .chart-loading, .chart[data-ready="false"], [aria-busy="true"]').length === 0`, undefined, { timeout, polling: 50 });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
