// One ECharts chart: created when its code has loaded, resized with its box, updated when the
// option changes, and described in text for screen readers (`label`).

import { useEffect, useRef, useState } from 'react';

type EChartsModule = typeof import('../lib/echarts');
type Instance = ReturnType<EChartsModule['echarts']['init']>;

let loading: Promise<EChartsModule> | undefined;
const loadECharts = () => (loading ??= import('../lib/echarts'));
let loadingMap: Promise<void> | undefined;
const loadWorld = () => (loadingMap ??= import('../lib/worldMap').then((m) => m.registerWorld()));

export interface ChartEvent {
  name?: string;
  seriesName?: string;
  value?: unknown;
  data?: unknown;
  dataType?: string;
  dataIndex?: number;
}

export function Chart(props: { option: Record<string, unknown>; height?: number; label: string; world?: boolean; onClick?: (e: ChartEvent) => void }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<Instance | null>(null);
  const [ready, setReady] = useState(false);
  const [failed, setFailed] = useState<string>();
  const clickRef = useRef(props.onClick);
  clickRef.current = props.onClick;

  useEffect(() => {
    let disposed = false;
    let ro: ResizeObserver | undefined;
    Promise.all([loadECharts(), props.world ? loadWorld() : undefined])
      .then(([m]) => {
        if (disposed || !el.current) return;
        const c = m.echarts.init(el.current, undefined, { renderer: 'canvas' });
        chart.current = c;
        c.on('click', (e) => clickRef.current?.(e as ChartEvent));
        ro = new ResizeObserver(() => c.resize());
        ro.observe(el.current);
        setReady(true);
      })
      .catch((e: unknown) => setFailed(e instanceof Error ? e.message : String(e)));
    return () => {
      disposed = true;
      ro?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, [props.world]);

  useEffect(() => {
    if (!ready || !chart.current) return;
    chart.current.setOption({ animation: false, textStyle: { fontFamily: 'inherit' }, ...props.option }, { notMerge: true });
  }, [ready, props.option]);

  return (
    <div className="chart-box" style={{ height: props.height ?? 260 }}>
      <div ref={el} className="chart" role="img" aria-label={props.label} data-ready={ready ? 'true' : 'false'} style={{ height: '100%' }} />
      {!ready && !failed && <div className="chart-loading">Drawing…</div>}
      {failed && <div className="state state-error">The chart could not be drawn: {failed}</div>}
    </div>
  );
}
