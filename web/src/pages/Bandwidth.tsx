// Per-ENI bandwidth: the busiest interfaces by 95th-percentile rate, and for the chosen one its
// rate over time in each direction against a baseline band (average to 95th percentile of the
// range) and its bandwidth cap where the inventory gives one.

import { useMemo } from 'react';
import { Card } from '../components/Card';
import { Chart } from '../components/Chart';
import { Async } from '../components/State';
import { Table } from '../components/Table';
import { api } from '../lib/api';
import { fmtBps, fmtCount } from '../lib/format';
import { searchHref, term } from '../lib/links';
import { rangeParams, useRange } from '../lib/range';
import { loadInventoryDoc } from '../lib/inventory';
import type { BandwidthRow, SeriesResult } from '../lib/types';
import { useApi } from '../lib/useApi';
import { Link, useParam } from '../lib/url';

const COLOURS: Record<string, string> = { ingress: '#2563eb', egress: '#16a34a' };

function EniChart(props: { eni: string; rows: BandwidthRow[] }) {
  const range = useRange();
  const load = useApi(
    async (signal) => {
      const dirs = ['ingress', 'egress'];
      const [series, inventory] = await Promise.all([
        Promise.all(dirs.map((d) => api.get<SeriesResult>('/api/analyses/series', { ...rangeParams(range), filter: `${term('interface_id', props.eni)} direction:${d}` }, signal))),
        loadInventoryDoc(signal).catch(() => undefined),
      ]);
      const cap = inventory?.enis?.find((e) => e.id === props.eni)?.bandwidth_mbps;
      return { series: dirs.map((d, i) => ({ direction: d, s: series[i] })), cap };
    },
    [props.eni, range.from, range.to],
  );
  const option = useMemo(() => {
    if (!load.data) return {};
    const { series, cap } = load.data;
    return {
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => fmtBps(v) },
      legend: { top: 0 },
      grid: { left: 70, right: 16, top: 30, bottom: 28 },
      xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => fmtBps(v) } },
      series: series.map(({ direction, s }, i) => {
        const b = props.rows.find((r) => r.interface_id === props.eni && r.direction === direction);
        return {
          name: direction,
          type: 'line',
          showSymbol: false,
          color: COLOURS[direction],
          data: s.points.map((p) => [p.t * 1000, p.bps]),
          markArea: b ? { silent: true, itemStyle: { color: COLOURS[direction], opacity: 0.08 }, data: [[{ yAxis: b.avg_bps, name: `${direction} baseline` }, { yAxis: b.p95_bps }]] } : undefined,
          markLine: i === 0 && cap ? { silent: true, symbol: 'none', lineStyle: { color: '#dc2626', type: 'dashed' }, label: { formatter: `cap ${cap} Mb/s` }, data: [{ yAxis: cap * 1e6 }] } : undefined,
        };
      }),
    };
  }, [load.data, props.rows, props.eni]);
  return (
    <Card title={`${props.eni} over time`} id="eni-chart" actions={<Link href={searchHref(term('interface_id', props.eni))}>Flows</Link>}>
      <Async load={load} what="Bandwidth" isEmpty={(d) => d.series.every((x) => x.s.points.length === 0)}>
        {(d) => (
          <>
            <Chart option={option} label={`Bits per second of ${props.eni}, ingress and egress, with baseline bands`} height={280} />
            <p className="muted small">Shaded: the range's baseline, from the average to the 95th percentile of one-minute rates.{d.cap ? ` Dashed: the interface's ${d.cap} Mb/s cap.` : ''}</p>
          </>
        )}
      </Async>
    </Card>
  );
}

export default function Bandwidth() {
  const range = useRange();
  const [eni, setEni] = useParam('eni');
  const load = useApi((signal) => api.get<{ rows: BandwidthRow[] }>('/api/analyses/bandwidth', { ...rangeParams(range), limit: 50 }, signal), [range.from, range.to]);
  const chosen = eni || load.data?.rows[0]?.interface_id || '';
  return (
    <div className="grid two">
      <Card title="Busiest interfaces (95th percentile)" id="enis">
        <Async load={load} what="Bandwidth" isEmpty={(d) => d.rows.length === 0}>
          {(d) => (
            <Table<BandwidthRow>
              label="Interfaces by bandwidth"
              scroll
              rows={d.rows}
              rowKey={(r) => `${r.interface_id}/${r.direction}`}
              selected={(r) => r.interface_id === chosen}
              onSelect={(r) => setEni(r.interface_id)}
              columns={[
                { key: 'interface_id', label: 'Interface' },
                { key: 'direction', label: 'Dir.' },
                { key: 'avg_bps', label: 'Average', numeric: true, render: (r) => fmtBps(r.avg_bps) },
                { key: 'p95_bps', label: 'p95', numeric: true, render: (r) => fmtBps(r.p95_bps) },
                { key: 'max_bps', label: 'Peak', numeric: true, render: (r) => fmtBps(r.max_bps) },
                { key: 'max_pps', label: 'Peak pps', numeric: true, render: (r) => fmtCount(r.max_pps) },
              ]}
            />
          )}
        </Async>
      </Card>
      {chosen && load.data && <EniChart eni={chosen} rows={load.data.rows} />}
    </div>
  );
}
