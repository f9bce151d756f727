// Reading the server's /metrics (Prometheus text format) for the ingest-health view.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[2]) for (const l of m[2].matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\(.)/g, '$1');
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

export interface SourceRates {
  source: string;
  received: number;
  dropped: number;
  failed: number;
  /** Records per second between the last two readings (undefined until there are two). */
  rate?: number;
  dropRate?: number;
}

/** Per-source totals from one reading, with rates against the previous one. */
export function sourceRates(now: Sample[], prev: { samples: Sample[]; at: number } | undefined, at: number): SourceRates[] {
  const by = new Map<string, SourceRates>();
  const get = (s: string) => {
    let r = by.get(s);
    if (!r) by.set(s, (r = { source: s, received: 0, dropped: 0, failed: 0 }));
    return r;
  };
  const total = (samples: Sample[], name: string, source: string) => samples.filter((x) => x.name === name && x.labels.source === source).reduce((a, x) => a + x.value, 0);
  for (const s of now) {
    if (!s.labels.source) continue;
    if (s.name === 'flowlogs_records_received_total') get(s.labels.source).received += s.value;
    if (s.name === 'flowlogs_records_dropped_total') get(s.labels.source).dropped += s.value;
    if (s.name === 'flowlogs_records_failed_total') get(s.labels.source).failed += s.value;
  }
  if (prev && at > prev.at) {
    const dt = (at - prev.at) / 1000;
    for (const r of by.values()) {
      r.rate = Math.max(0, (r.received - total(prev.samples, 'flowlogs_records_received_total', r.source)) / dt);
      r.dropRate = Math.max(0, (r.dropped - total(prev.samples, 'flowlogs_records_dropped_total', r.source)) / dt);
    }
  }
  return [...by.values()].sort((a, b) => b.received - a.received);
}

export function metricValue(samples: Sample[], name: string): number | undefined {
  const xs = samples.filter((s) => s.name === name);
  return xs.length ? xs.reduce((a, s) => a + s.value, 0) : undefined;
}
