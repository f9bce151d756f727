// Explore: top-N by any dimension, the flow between two groupings as a Sankey diagram, and
// external peers on a world map; each answer opens its flows in the search.

import { useEffect, useMemo, useState } from 'react';
import { Card, Tabs } from '../components/Card';
import { Chart } from '../components/Chart';
import { FilterInput } from '../components/FilterInput';
import { Async } from '../components/State';
import { Table } from '../components/Table';
import { api } from '../lib/api';
import { fmtBytes, fmtCount, protocolName } from '../lib/format';
import { searchHref, term } from '../lib/links';
import { rangeParams, useRange } from '../lib/range';
import { loadSchema } from '../lib/schema';
import type { Row, SankeyResult, TopResult } from '../lib/types';
import { useApi } from '../lib/useApi';
import { Link, navigate, setParams, useParam } from '../lib/url';

const FALLBACK_DIMENSIONS = ['src', 'dst', 'pair', 'port', 'protocol', 'eni', 'instance', 'subnet', 'vpc', 'src_country', 'dst_country', 'src_asn', 'dst_asn', 'action', 'rule'];
const PAIRS = new Set(['pair', 'port']);
const METRICS = ['bytes', 'packets', 'flows', 'peers'];
const MEASURES = new Set(['total_bytes', 'total_packets', 'flows', 'peers']);
const METRIC_COLUMN: Record<string, string> = { bytes: 'total_bytes', packets: 'total_packets', flows: 'flows', peers: 'peers' };

function useDimensions(): string[] {
  const [dims, setDims] = useState(FALLBACK_DIMENSIONS);
  useEffect(() => {
    loadSchema().then((s) => s.dimensions?.length && setDims(s.dimensions), () => {});
  }, []);
  return dims;
}

function keyFields(row: Row): string[] {
  return Object.keys(row).filter((k) => !MEASURES.has(k));
}

function keyLabel(row: Row): string {
  return keyFields(row)
    .map((k) => (k === 'protocol' ? protocolName(row[k]) : String(row[k] === '' ? '(none)' : row[k])))
    .join(keyFields(row).length > 1 ? ' → ' : '');
}

function keyFilter(row: Row): string {
  return keyFields(row)
    .map((k) => term(k, row[k]))
    .join(' ');
}

function and(a: string, b: string): string {
  return a ? `(${a}) ${b}` : b;
}

function metricValue(metric: string, v: unknown): string {
  return metric === 'bytes' ? fmtBytes(v) : fmtCount(v);
}

function TopN() {
  const range = useRange();
  const dims = useDimensions();
  const [by, setBy] = useParam('by', 'src');
  const [metric, setMetric] = useParam('metric', 'bytes');
  const [limit, setLimit] = useParam('limit', '10');
  const [filter, setFilter] = useParam('filter');
  const load = useApi((signal) => api.get<TopResult>('/api/analyses/top', { ...rangeParams(range), by, metric, limit, filter }, signal), [range.from, range.to, by, metric, limit, filter]);
  const col = METRIC_COLUMN[metric] ?? 'total_bytes';
  const option = useMemo(() => {
    const rows = load.data?.rows ?? [];
    const labels = rows.map(keyLabel).reverse();
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: number) => metricValue(metric, v) },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'value', axisLabel: { formatter: (v: number) => metricValue(metric, v) } },
      yAxis: { type: 'category', data: labels, axisLabel: { width: 220, overflow: 'truncate' } },
      series: [{ type: 'bar', data: rows.map((r) => Number(r[col])).reverse(), color: '#2563eb' }],
    };
  }, [load.data, metric, col]);
  return (
    <>
      <div className="controls">
        <label>
          Group by{' '}
          <select value={by} onChange={(e) => setBy(e.target.value)}>
            {dims.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          Rank by{' '}
          <select value={metric} onChange={(e) => setMetric(e.target.value)}>
            {METRICS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <label>
          Show{' '}
          <select value={limit} onChange={(e) => setLimit(e.target.value)}>
            {['5', '10', '20', '50', '100'].map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <FilterInput value={filter} onApply={(v) => setFilter(v)} />
      </div>
      <Async load={load} what="Top-N" isEmpty={(d) => d.rows.length === 0} empty="No flows match in this time range.">
        {(d) => (
          <div className="split wide-left">
            <Chart option={option} label={`Top ${d.rows.length} by ${by}, ranked by ${metric}`} height={Math.max(220, d.rows.length * 26 + 30)} onClick={(e) => {
              const row = e.dataIndex === undefined ? undefined : d.rows[d.rows.length - 1 - e.dataIndex];
              if (row) navigate(searchHref(and(filter, keyFilter(row))));
            }} />
            <Table<Row>
              label={`Top ${by}`}
              rows={d.rows}
              href={(r) => searchHref(and(filter, keyFilter(r)))}
              columns={[
                { key: 'key', label: by, render: keyLabel },
                { key: 'total_bytes', label: 'Bytes', numeric: true, render: (r) => fmtBytes(r.total_bytes) },
                { key: 'total_packets', label: 'Packets', numeric: true, render: (r) => fmtCount(r.total_packets) },
                { key: 'flows', label: 'Flows', numeric: true, render: (r) => fmtCount(r.flows) },
                ...(metric === 'peers' ? [{ key: 'peers', label: 'Peers', numeric: true, render: (r: Row) => fmtCount(r.peers) }] : []),
              ]}
            />
          </div>
        )}
      </Async>
    </>
  );
}

/** Dimensions over text fields, whose flows without a value ('') can be left out. */
const TEXT_DIMENSIONS: Record<string, string> = { src_country: 'src_country', dst_country: 'dst_country', subnet: 'subnet_id', vpc: 'vpc_id', eni: 'interface_id', instance: 'instance_id', rule: 'rule_id' };

function knownOnly(filter: string, dims: string[]): string {
  const parts = dims.filter((d) => TEXT_DIMENSIONS[d]).map((d) => `NOT ${TEXT_DIMENSIONS[d]}:""`);
  return [filter ? `(${filter})` : '', ...parts].filter(Boolean).join(' ');
}

function Sankey() {
  const range = useRange();
  const dims = useDimensions().filter((d) => !PAIRS.has(d));
  const [source, setSource] = useParam('source', 'src_country');
  const [target, setTarget] = useParam('target', 'subnet');
  const [filter, setFilter] = useParam('filter');
  const [all, setAll] = useParam('all');
  const effective = all ? filter : knownOnly(filter, [source, target]);
  const load = useApi((signal) => api.get<SankeyResult>('/api/analyses/sankey', { ...rangeParams(range), source, target, filter: effective, limit: 40 }, signal), [range.from, range.to, source, target, effective]);
  const option = useMemo(() => {
    const d = load.data;
    if (!d) return {};
    const id = (k: number) => `${d.nodes[k].side === 'source' ? 'from' : 'to'}:${d.nodes[k].name || '(none)'}`;
    return {
      tooltip: { trigger: 'item', valueFormatter: (v: number) => fmtBytes(v) },
      series: [
        {
          type: 'sankey',
          left: 8,
          right: 120,
          top: 8,
          bottom: 8,
          nodeAlign: 'justify',
          emphasis: { focus: 'adjacency' },
          label: { formatter: (p: { name: string }) => p.name.slice(p.name.indexOf(':') + 1) },
          lineStyle: { color: 'gradient', opacity: 0.35 },
          data: d.nodes.map((_, k) => ({ name: id(k) })),
          links: d.links.map((l) => ({ source: id(l.source), target: id(l.target), value: l.bytes })),
        },
      ],
    };
  }, [load.data]);
  return (
    <>
      <div className="controls">
        <label>
          From{' '}
          <select value={source} onChange={(e) => setSource(e.target.value)}>
            {dims.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          To{' '}
          <select value={target} onChange={(e) => setTarget(e.target.value)}>
            {dims.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <FilterInput value={filter} onApply={(v) => setFilter(v)} />
        <label className="check">
          <input type="checkbox" checked={!!all} onChange={(e) => setAll(e.target.checked ? '1' : undefined)} /> Include flows without a value
        </label>
      </div>
      <Async load={load} what="Traffic between groups" isEmpty={(d) => d.links.length === 0} empty="No flows match in this time range.">
        {(d) => (
          <>
            <Chart option={option} label={`Bytes from ${source} to ${target}: ${d.links.length} links`} height={Math.max(320, Math.min(900, d.nodes.length * 22))} />
            <p className="muted small">
              Evidence: <Link href={searchHref(d.evidence.query, d.evidence)}>open the query</Link>
            </p>
          </>
        )}
      </Async>
    </>
  );
}

function WorldMap() {
  const range = useRange();
  const [side, setSide] = useParam('side', 'src');
  const [metric, setMetric] = useParam('metric', 'bytes');
  const [filter, setFilter] = useParam('filter');
  const by = side === 'dst' ? 'dst_country' : 'src_country';
  const load = useApi((signal) => api.get<TopResult>('/api/analyses/top', { ...rangeParams(range), by, metric, limit: 300, filter }, signal), [range.from, range.to, by, metric, filter]);
  const col = METRIC_COLUMN[metric] ?? 'total_bytes';
  const [names, setNames] = useState<(c: string) => string>(() => (c: string) => c);
  useEffect(() => {
    import('../lib/worldMap').then((m) => setNames(() => m.countryName), () => {});
  }, []);
  const rows = (load.data?.rows ?? []).filter((r) => r[by] !== '' && r[by] !== null);
  const option = useMemo(() => {
    const max = Math.max(1, ...rows.map((r) => Number(r[col])));
    return {
      tooltip: { trigger: 'item', formatter: (p: { name: string; value: number }) => `${names(p.name)}: ${Number.isFinite(p.value) ? metricValue(metric, p.value) : 'no traffic'}` },
      visualMap: { min: 0, max, left: 8, bottom: 8, calculable: true, inRange: { color: ['#dbeafe', '#1d4ed8'] }, formatter: (v: number) => metricValue(metric, v) },
      series: [{ type: 'map', map: 'world', roam: true, emphasis: { label: { show: false } }, itemStyle: { areaColor: '#f1f5f9', borderColor: '#cbd5e1' }, data: rows.map((r) => ({ name: String(r[by]), value: Number(r[col]) })) }],
    };
  }, [rows, col, metric, names, by]);
  return (
    <>
      <div className="controls">
        <label>
          Peers{' '}
          <select value={side} onChange={(e) => setSide(e.target.value)}>
            <option value="src">sources (who reaches us)</option>
            <option value="dst">destinations (where we go)</option>
          </select>
        </label>
        <label>
          Measure{' '}
          <select value={metric} onChange={(e) => setMetric(e.target.value)}>
            {METRICS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <FilterInput value={filter} onApply={(v) => setFilter(v)} />
      </div>
      <Async load={load} what="Peers by country" isEmpty={(d) => d.rows.every((r) => r[by] === '' || r[by] === null)} empty="No external peers with a known country in this time range.">
        {() => (
          <div className="split wide-left">
            <Chart world option={option} label={`External ${side === 'dst' ? 'destinations' : 'sources'} by country: ${rows.slice(0, 5).map((r) => `${r[by]} ${metricValue(metric, r[col])}`).join(', ')}`} height={420} onClick={(e) => e.name && navigate(searchHref(and(filter, term(by, e.name))))} />
            <Table<Row>
              label="Countries"
              rows={rows.slice(0, 15)}
              href={(r) => searchHref(and(filter, term(by, r[by])))}
              columns={[
                { key: by, label: 'Country', render: (r) => `${names(String(r[by]))} (${r[by]})` },
                { key: col, label: metric, numeric: true, render: (r) => metricValue(metric, r[col]) },
              ]}
            />
          </div>
        )}
      </Async>
    </>
  );
}

type Tab = 'top' | 'sankey' | 'map';

export default function Explore() {
  const [tab] = useParam('tab', 'top');
  const t = (['top', 'sankey', 'map'].includes(tab) ? tab : 'top') as Tab;
  return (
    <Card
      title="Explore"
      actions={
        <Tabs<Tab>
          label="Views"
          value={t}
          onChange={(v) => setParams({ tab: v === 'top' ? undefined : v, by: undefined, metric: undefined, limit: undefined, source: undefined, target: undefined, side: undefined, all: undefined })}
          options={[
            { value: 'top', label: 'Top-N' },
            { value: 'sankey', label: 'Sankey' },
            { value: 'map', label: 'World map' },
          ]}
        />
      }
    >
      {t === 'top' && <TopN />}
      {t === 'sankey' && <Sankey />}
      {t === 'map' && <WorldMap />}
    </Card>
  );
}
