// The first page: traffic over time, top talkers, protocol mix, rejected traffic, open alerts
// and ingest health, each linking to the flows behind it.

import { useEffect, useMemo, useRef } from 'react';
import { Card, Stat } from '../components/Card';
import { Chart } from '../components/Chart';
import { Async } from '../components/State';
import { Table } from '../components/Table';
import { api } from '../lib/api';
import { fmtAgo, fmtBps, fmtBytes, fmtCount, fmtInt, protocolName } from '../lib/format';
import { searchHref, term } from '../lib/links';
import { metricValue, parseMetrics, sourceRates, type Sample } from '../lib/metrics';
import { rangeParams, useRange } from '../lib/range';
import { needs } from '../lib/schema';
import type { Alert, Health, MixResult, RejectedResult, Row, SeriesResult, TopResult } from '../lib/types';
import { useApi } from '../lib/useApi';
import { Link, pageHref } from '../lib/url';

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low'];

export function trafficOption(s: SeriesResult, label = 'bps'): Record<string, unknown> {
  const groups = [...new Set(s.points.map((p) => String(p.group ?? 'all')))];
  const colours: Record<string, string> = { ACCEPT: '#2563eb', REJECT: '#dc2626' };
  return {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => fmtBps(v) },
    legend: { top: 0, show: groups.length > 1 },
    grid: { left: 70, right: 16, top: groups.length > 1 ? 30 : 12, bottom: 28 },
    xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => fmtBps(v) } },
    series: groups.map((g) => ({
      name: g === 'all' ? label : g,
      type: 'line',
      showSymbol: false,
      areaStyle: { opacity: 0.15 },
      color: colours[g],
      data: s.points.filter((p) => String(p.group ?? 'all') === g).map((p) => [p.t * 1000, p.bps]),
    })),
  };
}

function Traffic() {
  const range = useRange();
  const load = useApi((signal) => api.get<SeriesResult>('/api/analyses/series', { ...rangeParams(range), split: 'action' }, signal), [range.from, range.to], { refreshMs: 30_000 });
  const option = useMemo(() => (load.data ? trafficOption(load.data) : {}), [load.data]);
  return (
    <Card title="Traffic over time" id="traffic" actions={load.data && <Link href={searchHref(load.data.evidence.query, load.data.evidence)}>Flows</Link>}>
      <Async load={load} what="Traffic" isEmpty={(d) => d.points.length === 0}>
        {() => <Chart option={option} label="Bits per second over the time range, accepted and rejected" height={240} />}
      </Async>
    </Card>
  );
}

function TopTalkers() {
  const range = useRange();
  const load = useApi((signal) => api.get<TopResult>('/api/analyses/top', { ...rangeParams(range), by: 'src', limit: 8 }, signal), [range.from, range.to], { refreshMs: 30_000 });
  return (
    <Card title="Top talkers" id="talkers" actions={<Link href={pageHref('/explore', { by: 'src' })}>Explore</Link>}>
      <Async load={load} what="Top talkers" isEmpty={(d) => d.rows.length === 0}>
        {(d) => (
          <Table<Row>
            label="Top sources by bytes"
            rows={d.rows}
            href={(r) => searchHref(term('src_addr', r.src_addr))}
            columns={[
              { key: 'src_addr', label: 'Source' },
              { key: 'total_bytes', label: 'Bytes', numeric: true, render: (r) => fmtBytes(r.total_bytes) },
              { key: 'flows', label: 'Flows', numeric: true, render: (r) => fmtCount(r.flows) },
            ]}
          />
        )}
      </Async>
    </Card>
  );
}

function ProtocolMix() {
  const range = useRange();
  const load = useApi((signal) => api.get<MixResult>('/api/analyses/mix', { ...rangeParams(range), limit: 6 }, signal), [range.from, range.to], { refreshMs: 30_000 });
  const option = useMemo(() => {
    if (!load.data) return {};
    return {
      tooltip: { trigger: 'item', valueFormatter: (v: number) => fmtBytes(v) },
      legend: { bottom: 0, itemWidth: 12, itemHeight: 10 },
      series: [
        {
          type: 'pie',
          radius: ['40%', '68%'],
          center: ['50%', '44%'],
          label: { show: false },
          data: load.data.protocols.slice(0, 5).map((p) => ({ name: protocolName(p.protocol), value: Number(p.total_bytes) })),
        },
      ],
    };
  }, [load.data]);
  return (
    <Card title="Protocol mix" id="mix">
      <Async load={load} what="Protocol mix" isEmpty={(d) => d.protocols.length === 0}>
        {(d) => (
          <div className="split">
            <Chart option={option} label={`Bytes by protocol: ${d.protocols.map((p) => `${protocolName(p.protocol)} ${fmtBytes(p.total_bytes)}`).join(', ')}`} height={200} />
            <Table<Row>
              label="Top service ports"
              rows={d.ports.slice(0, 6)}
              href={(r) => searchHref(`protocol:${r.protocol} (src_port:${r.port} OR dst_port:${r.port})`)}
              columns={[
                { key: 'port', label: 'Port', render: (r) => `${protocolName(r.protocol)}/${r.port}` },
                { key: 'total_bytes', label: 'Bytes', numeric: true, render: (r) => fmtBytes(r.total_bytes) },
              ]}
            />
          </div>
        )}
      </Async>
    </Card>
  );
}

function Rejected() {
  const range = useRange();
  const load = useApi((signal) => api.get<RejectedResult>('/api/analyses/rejected', { ...rangeParams(range), limit: 5 }, signal), [range.from, range.to], { refreshMs: 30_000 });
  return (
    <Card title="Rejected traffic" id="rejected" actions={load.data && <Link href={searchHref(load.data.evidence.query, load.data.evidence)}>Flows</Link>}>
      <Async load={load} what="Rejected traffic">
        {(d) => (
          <>
            <div className="stats">
              <Stat label="rejected flows" value={fmtCount(d.total.flows)} tone={d.total.flows > 0 ? 'bad' : 'good'} />
              <Stat label="packets" value={fmtCount(d.total.packets)} />
              <Stat label="bytes" value={fmtBytes(d.total.bytes)} />
            </div>
            {d.sources.length > 0 && (
              <Table<Row>
                label="Top rejected sources"
                rows={d.sources}
                href={(r) => searchHref(`action:REJECT ${term('src_addr', r.src_addr)}`)}
                columns={[
                  { key: 'src_addr', label: 'Source' },
                  { key: 'flows', label: 'Flows', numeric: true, render: (r) => fmtCount(r.flows) },
                ]}
              />
            )}
          </>
        )}
      </Async>
    </Card>
  );
}

function OpenAlerts() {
  const load = useApi(async (signal) => {
      await needs('GET /api/alerts');
      return api.get<{ count: number; alerts: Alert[] }>('/api/alerts', { status: 'open', limit: 50 }, signal);
    }, [], { refreshMs: 15_000 });
  return (
    <Card title="Open alerts" id="alerts" actions={<Link href={pageHref('/security')}>Security</Link>}>
      <Async load={load} what="Alerts" isEmpty={(d) => d.alerts.length === 0} empty="No open alerts.">
        {(d) => {
          const sorted = [...d.alerts].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || b.last_seen - a.last_seen);
          return (
            <ul className="alert-list">
              {sorted.slice(0, 5).map((a) => (
                <li key={a.id}>
                  <span className={`sev sev-${a.severity}`}>{a.severity}</span>
                  <Link href={pageHref('/security', { alert: a.id })}>{a.title}</Link>
                  <span className="muted"> · {fmtAgo(a.last_seen)}</span>
                </li>
              ))}
              {d.alerts.length > 5 && (
                <li className="muted">
                  and {d.alerts.length - 5} more: <Link href={pageHref('/security')}>all open alerts</Link>
                </li>
              )}
            </ul>
          );
        }}
      </Async>
    </Card>
  );
}

function IngestHealth() {
  const prev = useRef<{ samples: Sample[]; at: number } | undefined>(undefined);
  const load = useApi(
    async (signal) => {
      const [text, health] = await Promise.all([api.text('/metrics', undefined, signal), api.get<Health>('/api/health', undefined, signal)]);
      const samples = parseMetrics(text);
      const at = Date.now();
      const rates = sourceRates(samples, prev.current, at);
      prev.current = { samples, at };
      return { rates, health, backlog: metricValue(samples, 'flowlogs_pipeline_backlog_rows'), udpDrops: metricValue(samples, 'flowlogs_udp_kernel_drops_total') };
    },
    [],
    { refreshMs: 5000 },
  );
  // Rates need two readings: take the second soon rather than after a full interval.
  const { reload } = load;
  useEffect(() => {
    const t = setTimeout(reload, 1500);
    return () => clearTimeout(t);
  }, [reload]);
  return (
    <Card title="Ingest health" id="ingest">
      <Async load={load} what="Ingest health">
        {(d) => (
          <>
            <div className="stats">
              <Stat label="stored records" value={fmtCount(d.health.store.appendedRows ?? 0)} />
              <Stat label="on disk" value={fmtBytes(d.health.store.bytesOnDisk ?? 0)} />
              <Stat label="pipeline backlog" value={fmtInt(d.backlog ?? 0)} tone={(d.backlog ?? 0) > 0 ? 'bad' : undefined} />
              <Stat label="UDP kernel drops" value={fmtInt(d.udpDrops ?? 0)} tone={(d.udpDrops ?? 0) > 0 ? 'bad' : undefined} />
            </div>
            {d.rates.length === 0 ? (
              <p className="muted">No source has sent records yet.</p>
            ) : (
              <Table
                label="Records per source"
                rows={d.rates}
                columns={[
                  { key: 'source', label: 'Source' },
                  { key: 'rate', label: 'Records/s', numeric: true, render: (r) => (r.rate === undefined ? 'measuring…' : fmtCount(r.rate)) },
                  { key: 'received', label: 'Received', numeric: true, render: (r) => fmtCount(r.received) },
                  { key: 'dropped', label: 'Dropped', numeric: true, render: (r) => <span className={r.dropped > 0 ? 'bad' : undefined}>{fmtCount(r.dropped)}</span> },
                  { key: 'failed', label: 'Failed', numeric: true, render: (r) => fmtCount(r.failed) },
                ]}
              />
            )}
            <p className="muted small">
              flowlogs {d.health.version} · {d.health.store.dialect} store · up {fmtInt(d.health.uptime_s)} s
            </p>
          </>
        )}
      </Async>
    </Card>
  );
}

export function Overview() {
  return (
    <div className="grid overview">
      <div className="span-2">
        <Traffic />
      </div>
      <OpenAlerts />
      <TopTalkers />
      <ProtocolMix />
      <Rejected />
      <div className="span-3">
        <IngestHealth />
      </div>
    </div>
  );
}
