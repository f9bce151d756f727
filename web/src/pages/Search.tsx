// Search: the query language over a time range; results newest first in pages, with a column
// chooser, a live tail and export. Everything that defines the view is in the URL.

import { useEffect, useMemo, useRef, useState } from 'react';
import { QueryBar } from '../components/QueryBar';
import { Empty, ErrorBox, Loading } from '../components/State';
import { ApiError, api, request } from '../lib/api';
import { pipeIndex } from '../lib/complete';
import { fmtCell, fmtInt } from '../lib/format';
import { rangeParams, useRange, type Range } from '../lib/range';
import { loadSchema } from '../lib/schema';
import type { QueryResult, SchemaResult } from '../lib/types';
import { useApi } from '../lib/useApi';
import { setParams, useParam } from '../lib/url';

/** Rows fetched for paging through in the browser. */
const FETCH_ROWS = 1000;
const PAGE_SIZES = [25, 50, 100, 200];
const DEFAULT_COLUMNS = ['start', 'interface_id', 'src_addr', 'src_port', 'dst_addr', 'dst_port', 'protocol', 'packets', 'bytes', 'action', 'direction'];
const TAIL_MS = 5000;
/** Records of a window are stored after it closes: the tail looks this far back each time. */
const TAIL_LOOKBACK_S = 180;

/** Newest first; the other keys make the order stable, so pages neither repeat nor skip rows. */
const NEWEST_FIRST = 'ORDER BY start DESC, first_ms DESC, interface_id, src_addr, dst_addr, src_port, dst_port';

/** What is sent: a filter alone is shown newest first; a query with a SQL part as written. */
export function queryToSend(q: string, limit?: number): string {
  if (pipeIndex(q) >= 0) return q;
  return `${q.trim()} | SELECT * ${NEWEST_FIRST}${limit ? ` LIMIT ${limit}` : ''}`;
}

/**
 * The newest `offset + size + 1` flows of a filter (one past the page tells whether there is a
 * next one). A filter alone is a search, which the server reads newest part first and orders
 * with ties broken by the flow's key, so pages neither repeat nor skip rows.
 */
async function newestFirst(q: string, range: Range, offset: number, size: number, signal: AbortSignal): Promise<QueryResult> {
  const need = offset + size + 1;
  const r = await api.post<QueryResult>('/api/query', { query: q.trim(), ...rangeParams(range), limit: need }, signal);
  return { ...r, rows: r.rows.slice(offset) };
}

interface Answer {
  result: QueryResult;
  ms: number;
}

function download(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function ColumnChooser(props: { all: string[]; chosen: string[]; onChange: (cols: string[]) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="popover-wrap">
      <button type="button" className="btn small" aria-expanded={open} onClick={() => setOpen(!open)}>
        Columns ({props.chosen.length})
      </button>
      {open && (
        <fieldset className="popover columns" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          <legend>Columns shown</legend>
          <div className="row">
            <button type="button" className="linklike" onClick={() => props.onChange(props.all)}>
              all
            </button>
            <button type="button" className="linklike" onClick={() => props.onChange(DEFAULT_COLUMNS)}>
              default
            </button>
          </div>
          {props.all.map((c) => (
            <label key={c} className="check">
              <input type="checkbox" checked={props.chosen.includes(c)} onChange={(e) => props.onChange(e.target.checked ? props.all.filter((x) => x === c || props.chosen.includes(x)) : props.chosen.filter((x) => x !== c))} />
              {c}
            </label>
          ))}
        </fieldset>
      )}
    </div>
  );
}

function ResultTable(props: { columns: string[]; rows: unknown[][]; allColumns: string[] }) {
  const idx = props.columns.map((c) => props.allColumns.indexOf(c));
  return (
    <div className="table-wrap">
      <table aria-label="Flows" className="results">
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, i) => (
            <tr key={i}>
              {idx.map((k, j) => (
                <td key={props.columns[j]}>{fmtCell(props.columns[j], r[k])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function Search() {
  const range = useRange();
  const [q] = useParam('q');
  const [colsParam, setCols] = useParam('cols');
  const [pageParam, setPage] = useParam('page', '1');
  const [sizeParam] = useParam('size', '50');
  const [live, setLive] = useParam('live');
  const [draft, setDraft] = useState(q);
  const [schema, setSchema] = useState<SchemaResult>();
  const [exporting, setExporting] = useState<string>();
  const [exportError, setExportError] = useState<unknown>();
  useEffect(() => setDraft(q), [q]);
  useEffect(() => {
    loadSchema().then(setSchema, () => {});
  }, []);

  const size = PAGE_SIZES.includes(Number(sizeParam)) ? Number(sizeParam) : 50;
  const requested = Math.max(1, Math.floor(Number(pageParam)) || 1);
  // A filter alone is paged by the server; a query with its own SQL part is fetched once
  // (up to FETCH_ROWS rows) and paged here.
  const serverPaged = pipeIndex(q) < 0;
  const load = useApi<Answer>(
    live
      ? null
      : async (signal) => {
          const t0 = performance.now();
          const result = serverPaged ? await newestFirst(q, range, (requested - 1) * size, size, signal) : await api.post<QueryResult>('/api/query', { query: q, limit: FETCH_ROWS, ...rangeParams(range) }, signal);
          return { result, ms: performance.now() - t0 };
        },
    [q, range.from, range.to, live, serverPaged ? requested : 0, serverPaged ? size : 0],
  );
  // How many flows match, counted once the first page is on screen so it does not wait for it.
  const countKey = JSON.stringify([q, range.from, range.to]);
  const [countFor, setCountFor] = useState<string>();
  useEffect(() => {
    if (load.fresh && load.data) setCountFor(countKey);
  }, [load.fresh, load.data, countKey]);
  const total = useApi<number>(
    live || !serverPaged || countFor !== countKey
      ? null
      : async (signal) => {
          const r = await api.post<QueryResult>('/api/query', { query: `${q.trim()} | SELECT count(*) AS n`, ...rangeParams(range), limit: 1 }, signal);
          return Number(r.rows[0]?.[0] ?? 0);
        },
    [q, range.from, range.to, live, serverPaged, countFor === countKey],
  );

  // The live tail: recent windows polled, new rows added on top.
  const [tail, setTail] = useState<{ columns: string[]; rows: unknown[][]; error?: unknown }>();
  const seen = useRef(new Set<string>());
  useEffect(() => {
    if (!live) return;
    seen.current = new Set();
    setTail(undefined);
    let stopped = false;
    const ac = new AbortController();
    const poll = async () => {
      const now = Math.floor(Date.now() / 1000);
      try {
        const r = await api.post<QueryResult>('/api/query', { query: queryToSend(q, FETCH_ROWS), from: now - TAIL_LOOKBACK_S, to: now + 1, limit: FETCH_ROWS }, ac.signal);
        if (stopped) return;
        const fresh = r.rows.filter((row) => {
          const k = JSON.stringify(row);
          if (seen.current.has(k)) return false;
          seen.current.add(k);
          return true;
        });
        setTail((t) => ({ columns: r.columns.map((c) => c.name), rows: [...fresh, ...(t?.rows ?? [])].slice(0, FETCH_ROWS) }));
      } catch (e) {
        if (!stopped) setTail((t) => ({ columns: t?.columns ?? [], rows: t?.rows ?? [], error: e }));
      }
    };
    void poll();
    const timer = setInterval(poll, TAIL_MS);
    return () => {
      stopped = true;
      ac.abort();
      clearInterval(timer);
    };
  }, [live, q]);

  const submit = (text: string) => {
    setParams({ q: text.trim() || undefined, page: undefined });
    if (text.trim() === q) {
      load.reload();
      total.reload();
    }
  };

  const exportAs = async (format: 'csv' | 'jsonl') => {
    setExporting(format);
    setExportError(undefined);
    try {
      const text = await request<string>('POST', '/api/query', { body: { query: queryToSend(q), ...rangeParams(range), limit: 1_000_000, format }, text: true });
      download(`flows.${format}`, text, format === 'csv' ? 'text/csv' : 'application/x-ndjson');
    } catch (e) {
      setExportError(e);
    } finally {
      setExporting(undefined);
    }
  };

  // An earlier answer stays on screen, dimmed, while the new one loads; a failed one hides it.
  const stale = !live && load.data !== undefined && !load.fresh;
  const shownData = stale && load.error !== undefined ? undefined : load.data;
  const result = live ? (tail ? { columns: tail.columns, rows: tail.rows } : undefined) : shownData ? { columns: shownData.result.columns.map((c) => c.name), rows: shownData.result.rows } : undefined;
  const fieldNames = schema?.fields.map((f) => f.name);
  const isFlows = result !== undefined && fieldNames !== undefined && result.columns.length === fieldNames.length && result.columns.every((c, i) => c === fieldNames[i]);
  const chosen = useMemo(() => {
    if (!result) return [];
    if (!isFlows) return result.columns;
    const want = colsParam ? colsParam.split(',') : DEFAULT_COLUMNS;
    return want.filter((c) => result.columns.includes(c));
  }, [result, isFlows, colsParam]);

  const rows = result?.rows ?? [];
  let page: number;
  let shown: unknown[][];
  let hasNext: boolean;
  let pagesText: string;
  if (serverPaged && !live) {
    page = requested;
    shown = rows.slice(0, size);
    hasNext = rows.length > size;
    const n = total.fresh ? total.data : undefined;
    pagesText = n === undefined ? `Page ${page}` : `Page ${page} of ${fmtInt(Math.max(1, Math.ceil(n / size)))}`;
  } else {
    const pages = Math.max(1, Math.ceil(rows.length / size));
    page = Math.min(pages, requested);
    shown = rows.slice((page - 1) * size, page * size);
    hasNext = page < pages;
    pagesText = `Page ${page} of ${pages}`;
  }
  const syntaxError = load.error instanceof ApiError && load.error.status === 400 ? (load.error.body as { column?: number; position?: number } | undefined) : undefined;

  return (
    <div className="search">
      <QueryBar value={draft} onChange={setDraft} onSubmit={submit} schema={schema} errorAt={syntaxError?.position} busy={load.loading && !live} />
      <div className="toolbar">
        <label className="check">
          <input type="checkbox" checked={!!live} onChange={(e) => setLive(e.target.checked ? '1' : undefined)} />
          Live tail
        </label>
        {result && isFlows && <ColumnChooser all={result.columns} chosen={chosen} onChange={(c) => setCols(c.join(',') === DEFAULT_COLUMNS.join(',') ? undefined : c.join(','), { replace: true })} />}
        <label className="inline">
          Rows per page{' '}
          <select value={size} onChange={(e) => setParams({ size: e.target.value === '50' ? undefined : e.target.value, page: undefined })}>
            {PAGE_SIZES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <span className="spacer" />
        <button type="button" className="btn small" disabled={!!exporting} onClick={() => exportAs('csv')}>
          {exporting === 'csv' ? 'Exporting…' : 'Export CSV'}
        </button>
        <button type="button" className="btn small" disabled={!!exporting} onClick={() => exportAs('jsonl')}>
          {exporting === 'jsonl' ? 'Exporting…' : 'Export JSON Lines'}
        </button>
      </div>
      {exportError !== undefined && <ErrorBox error={exportError} />}
      {live && tail?.error !== undefined && <ErrorBox error={tail.error} />}
      {!live && load.error !== undefined && <ErrorBox error={load.error} retry={load.reload} />}
      {!result && (live || !load.error) && <Loading label={live ? 'Waiting for live flows…' : 'Searching…'} />}
      {result && (
        <div className={stale ? 'results stale' : 'results'} aria-busy={stale ? 'true' : 'false'}>
          {stale && <Loading label="Searching…" />}
          <p className="result-summary" role="status" data-testid="result-summary">
            {live ? (
              <>
                <span className="live-dot" aria-hidden="true" /> Live: {fmtInt(rows.length)} rows from the last few minutes, newest first
              </>
            ) : (
              <>
                {serverPaged ? (
                  <>
                    {shown.length ? `Flows ${fmtInt((page - 1) * size + 1)}–${fmtInt((page - 1) * size + shown.length)}` : 'No flows'}
                    {total.fresh && total.data !== undefined ? ` of ${fmtInt(total.data)}` : ''}, newest first
                  </>
                ) : (
                  <>
                    {fmtInt(rows.length)}
                    {shownData?.result.truncated ? '+' : ''} rows
                    {shownData?.result.truncated ? ` (the first ${fmtInt(FETCH_ROWS)}; narrow the query or the time range to see the rest)` : ''}
                  </>
                )}
                {shownData && !stale ? ` · ${Math.round(shownData.ms)} ms` : ''}
              </>
            )}
          </p>
          {shown.length === 0 && page === 1 ? (
            <Empty>No flows match {q ? <code>{q}</code> : 'in this time range'}.</Empty>
          ) : (
            <>
              <ResultTable columns={chosen} rows={shown} allColumns={result.columns} />
              {(page > 1 || hasNext) && (
                <nav className="pager" aria-label="Pages of results">
                  <button type="button" className="btn small" disabled={page <= 1} onClick={() => setPage(page - 1 === 1 ? undefined : page - 1)}>
                    ← Previous
                  </button>
                  <span>{pagesText}</span>
                  <button type="button" className="btn small" disabled={!hasNext} onClick={() => setPage(page + 1)}>
                    Next →
                  </button>
                </nav>
              )}
            </>
          )}
        </div>
      )}
    </div>
  );
}
