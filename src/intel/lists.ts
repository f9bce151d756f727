// The configured threat lists, kept loaded: each is read from its file or downloaded from its
// URL, parsed in its format, and the combined index is rebuilt and swapped in whole, so the
// enrichment stage never sees a half-loaded list. Downloads are cached in the data directory
// (a restart without network keeps yesterday's list) and revalidated with ETag and
// Last-Modified; files are re-read only when their modification time changes.

import fs from 'node:fs';
import path from 'node:path';
import type { MetricsRegistry } from '../metrics/registry.js';
import { writeFileDurable } from '../util/durable.js';
import { InputError, errorMessage } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import type { IntelConfig, IntelListConfig } from './config.js';
import { LIST_FORMATS, guessFormat, type ListFormat, type ParsedList } from './formats.js';
import { IntelIndex, type IntelListData } from './intel-index.js';

export interface ListStatus {
  name: string;
  source: string;
  format: ListFormat | 'unknown';
  entries: number;
  rejected: number;
  loadedAt?: string;
  error?: string;
}

interface Loaded {
  cfg: IntelListConfig;
  data: IntelListData;
  status: ListStatus;
  mtimeMs?: number;
  etag?: string;
  lastModified?: string;
}

const MAX_DOWNLOAD = 256 * 1024 * 1024;

export interface IntelListsOptions {
  /** Where downloads are cached (the data directory's intel/ folder); none: no cache. */
  cacheDir?: string;
  log?: Logger;
  metrics?: MetricsRegistry;
  fetch?: typeof fetch;
}

export class IntelLists {
  readonly name = 'threat intelligence';
  private index?: IntelIndex;
  private readonly loaded = new Map<string, Loaded>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly log: Logger;
  private readonly fetchFn: typeof fetch;

  constructor(
    private readonly cfg: IntelConfig,
    private readonly opts: IntelListsOptions = {},
  ) {
    this.log = opts.log ?? silentLogger;
    this.fetchFn = opts.fetch ?? fetch;
    const m = opts.metrics;
    if (m) {
      const entries = m.gauge('flowlogs_intel_entries', 'Addresses and blocks loaded, by threat list');
      m.onCollect(() => {
        for (const l of this.loaded.values()) entries.set({ list: l.cfg.name }, l.status.entries);
      });
    }
  }

  /** The index in force (undefined when no list is configured). */
  current(): IntelIndex | undefined {
    return this.index;
  }

  status(): ListStatus[] {
    return this.cfg.lists.map((c) => this.loaded.get(c.name)?.status ?? { name: c.name, source: c.file ?? c.url ?? '', format: 'unknown', entries: 0, rejected: 0 });
  }

  /**
   * Loads every list. A file that cannot be read or parsed is a configuration error (thrown);
   * a URL that cannot be fetched falls back to its cached copy, or starts empty, and is tried
   * again at its next refresh.
   */
  async start(): Promise<void> {
    for (const c of this.cfg.lists) await this.load(c, true);
    this.rebuild();
    for (const c of this.cfg.lists) {
      if (c.refresh_s <= 0) continue;
      const t = setInterval(() => {
        void this.load(c, false).then((changed) => changed && this.rebuild());
      }, c.refresh_s * 1000);
      t.unref();
      this.timers.push(t);
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }

  /** Reloads one list now; true when its content changed. */
  async reload(name: string): Promise<boolean> {
    const c = this.cfg.lists.find((l) => l.name === name);
    if (!c) throw new InputError(`no threat list named '${name}'`);
    const changed = await this.load(c, false);
    if (changed) this.rebuild();
    return changed;
  }

  private rebuild(): void {
    const lists = this.cfg.lists.map((c) => this.loaded.get(c.name)?.data ?? { name: c.name, entries: [] });
    this.index = lists.length > 0 ? new IntelIndex(lists) : undefined;
  }

  private count(name: string, result: string): void {
    this.opts.metrics?.counter('flowlogs_intel_loads_total', 'Threat-list loads, by list and result').inc({ list: name, result });
  }

  private parse(c: IntelListConfig, sourceName: string, text: string): { parsed: ParsedList; format: ListFormat } {
    const format = c.format === 'auto' ? guessFormat(sourceName, text) : c.format;
    const parsed = LIST_FORMATS[format](text, { min_count: c.min_count, column: c.column, delimiter: c.delimiter });
    return { parsed, format };
  }

  private store(c: IntelListConfig, source: string, format: ListFormat, parsed: ParsedList, extra: Partial<Loaded> = {}): void {
    const status: ListStatus = { name: c.name, source, format, entries: parsed.entries.length, rejected: parsed.rejected, loadedAt: new Date().toISOString() };
    this.loaded.set(c.name, { cfg: c, data: { name: c.name, entries: parsed.entries }, status, ...extra });
    if (parsed.rejected > 0) this.log.warn({ list: c.name, rejected: parsed.rejected, examples: parsed.examples }, 'threat list: some lines held no address');
    this.log.info({ list: c.name, entries: parsed.entries.length, format }, 'threat list loaded');
  }

  private async load(c: IntelListConfig, first: boolean): Promise<boolean> {
    try {
      const changed = c.file !== undefined ? this.loadFile(c, c.file) : await this.loadUrl(c, c.url!, first);
      if (changed) this.count(c.name, 'loaded');
      return changed;
    } catch (e) {
      this.count(c.name, 'failed');
      const prev = this.loaded.get(c.name);
      if (prev) prev.status.error = errorMessage(e);
      if (first && c.file !== undefined) throw new InputError(`intel list '${c.name}': ${errorMessage(e)}`);
      this.log.error({ list: c.name, err: errorMessage(e) }, 'threat list could not be loaded; keeping the previous copy');
      if (!prev) this.loaded.set(c.name, { cfg: c, data: { name: c.name, entries: [] }, status: { name: c.name, source: c.url ?? c.file ?? '', format: 'unknown', entries: 0, rejected: 0, error: errorMessage(e) } });
      return false;
    }
  }

  private loadFile(c: IntelListConfig, file: string): boolean {
    const st = fs.statSync(file);
    const prev = this.loaded.get(c.name);
    if (prev && prev.mtimeMs === st.mtimeMs && !prev.status.error) return false;
    const { parsed, format } = this.parse(c, file, fs.readFileSync(file, 'utf8'));
    this.store(c, file, format, parsed, { mtimeMs: st.mtimeMs });
    return true;
  }

  private cacheFile(c: IntelListConfig): string | undefined {
    return this.opts.cacheDir ? path.join(this.opts.cacheDir, `${c.name}.list`) : undefined;
  }

  private async loadUrl(c: IntelListConfig, url: string, first: boolean): Promise<boolean> {
    const prev = this.loaded.get(c.name);
    const cache = this.cacheFile(c);
    const headers: Record<string, string> = {};
    if (prev?.etag) headers['if-none-match'] = prev.etag;
    if (prev?.lastModified) headers['if-modified-since'] = prev.lastModified;
    let res: Response;
    try {
      res = await this.fetchFn(url, { headers, signal: AbortSignal.timeout(this.cfg.timeout_s * 1000) });
    } catch (e) {
      if (first && cache && fs.existsSync(cache)) return this.fromCache(c, cache, `${errorMessage(e)}; using the copy cached at ${cache}`);
      throw e;
    }
    if (res.status === 304 && prev) return false;
    if (!res.ok) {
      if (first && cache && fs.existsSync(cache)) return this.fromCache(c, cache, `HTTP ${res.status}; using the copy cached at ${cache}`);
      throw new Error(`${url}: HTTP ${res.status}`);
    }
    const len = Number(res.headers.get('content-length') ?? 0);
    if (len > MAX_DOWNLOAD) throw new Error(`${url}: ${len} bytes is more than a threat list may hold (${MAX_DOWNLOAD})`);
    const text = await res.text();
    const { parsed, format } = this.parse(c, url, text);
    this.store(c, url, format, parsed, { etag: res.headers.get('etag') ?? undefined, lastModified: res.headers.get('last-modified') ?? undefined });
    if (cache) {
      await fs.promises.mkdir(path.dirname(cache), { recursive: true });
      await writeFileDurable(cache, text);
    }
    return true;
  }

  private fromCache(c: IntelListConfig, cache: string, why: string): boolean {
    this.log.warn({ list: c.name, reason: why }, 'threat list download failed');
    const { parsed, format } = this.parse(c, cache, fs.readFileSync(cache, 'utf8'));
    this.store(c, cache, format, parsed);
    const l = this.loaded.get(c.name)!;
    l.status.error = why;
    return true;
  }
}
