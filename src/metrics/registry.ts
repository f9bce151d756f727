// Counters and gauges for everything that moves, rendered as Prometheus text on /metrics.
// A metric is created once (at component construction) and then bumped with plain number
// arithmetic: no map lookups or allocations on the hot path once a label set is bound.

export type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');
}

/** One time series: a number you add to or set. */
export class Series {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
  set(v: number): void {
    this.value = v;
  }
}

export class Metric {
  private series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}

  /** The series for a label set; bind it once and keep the reference on hot paths. */
  with(labels: Labels = {}): Series {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = new Series();
      this.series.set(key, s);
    }
    return s;
  }

  inc(labels: Labels = {}, by = 1): void {
    this.with(labels).inc(by);
  }

  set(labels: Labels, v: number): void {
    this.with(labels).set(v);
  }

  /** Sum over every label set (for summaries and tests). */
  total(): number {
    let t = 0;
    for (const s of this.series.values()) t += s.value;
    return t;
  }

  get(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.value ?? 0;
  }

  /** Label set (as rendered) → value. */
  entries(): [string, number][] {
    return [...this.series].map(([k, s]) => [k, s.value]);
  }

  render(extra: readonly [string, number][] = []): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}\n`;
    const merged = new Map<string, number>(this.entries());
    for (const [k, v] of extra) merged.set(k, (merged.get(k) ?? 0) + v);
    if (merged.size === 0 && this.type === 'counter') return out + `${this.name} 0\n`;
    for (const [key, v] of merged) out += key ? `${this.name}{${key}} ${v}\n` : `${this.name} ${v}\n`;
    return out;
  }
}

/** Gauges computed when scraped (queue depths, file counts). */
export type Collector = () => void;

/** A registry's content, to be posted from another thread and merged into the main one. */
export interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  series: [string, number][];
}

export class MetricsRegistry {
  private metrics = new Map<string, Metric>();
  private collectors: Collector[] = [];
  private external = new Map<string, MetricSnapshot[]>();

  counter(name: string, help: string): Metric {
    return this.get(name, help, 'counter');
  }

  gauge(name: string, help: string): Metric {
    return this.get(name, help, 'gauge');
  }

  private get(name: string, help: string, type: 'counter' | 'gauge'): Metric {
    let m = this.metrics.get(name);
    if (!m) {
      m = new Metric(name, help, type);
      this.metrics.set(name, m);
    } else if (m.type !== type) {
      throw new Error(`metric ${name} registered as ${m.type} and ${type}`);
    }
    return m;
  }

  onCollect(fn: Collector): void {
    this.collectors.push(fn);
  }

  find(name: string): Metric | undefined {
    return this.metrics.get(name);
  }

  snapshot(): MetricSnapshot[] {
    for (const c of this.collectors) c();
    return [...this.metrics.values()].map((m) => ({ name: m.name, help: m.help, type: m.type, series: m.entries() }));
  }

  /**
   * Keeps the latest snapshot from another thread under `key`; rendering adds its series to
   * ours (same name and labels are summed), so several workers look like one process.
   */
  setExternal(key: string, snap: MetricSnapshot[]): void {
    this.external.set(key, snap);
  }

  /** Sum of a metric over this registry and every external snapshot (tests, summaries). */
  totalOf(name: string): number {
    let t = this.metrics.get(name)?.total() ?? 0;
    for (const snap of this.external.values()) for (const m of snap) if (m.name === name) for (const [, v] of m.series) t += v;
    return t;
  }

  render(): string {
    for (const c of this.collectors) c();
    const extra = new Map<string, { help: string; type: 'counter' | 'gauge'; series: [string, number][] }>();
    for (const snap of this.external.values())
      for (const m of snap) {
        const e = extra.get(m.name) ?? { help: m.help, type: m.type, series: [] };
        e.series.push(...m.series);
        extra.set(m.name, e);
      }
    let out = '';
    for (const m of this.metrics.values()) {
      out += m.render(extra.get(m.name)?.series);
      extra.delete(m.name);
    }
    for (const [name, e] of extra) out += new Metric(name, e.help, e.type).render(e.series);
    return out;
  }
}
