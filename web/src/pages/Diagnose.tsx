// Diagnose: why A can or cannot reach B — the verdict, each hop with its deciding rule, what was
// observed and the smallest fix; and the finders for storms and bandwidth hogs.

import { useEffect, useState, type FormEvent } from 'react';
import { Card } from '../components/Card';
import { KeyValues, RowsTable, rowsOf, text } from '../components/Generic';
import { Async } from '../components/State';
import { Table } from '../components/Table';
import { api } from '../lib/api';
import { fmtCount, protocolName } from '../lib/format';
import { searchHref } from '../lib/links';
import { rangeParams, useRange } from '../lib/range';
import { needs } from '../lib/schema';
import type { QueryResult } from '../lib/types';
import { useApi } from '../lib/useApi';
import { Link, setParams, useLocation } from '../lib/url';

type Obj = Record<string, unknown>;

interface Hop {
  hop: string;
  interface_id?: string | null;
  crossed?: boolean;
  action?: string | null;
  kind?: string | null;
  id?: string | null;
  rule?: string | null;
  path?: string;
}

const HOP_NAMES: Record<string, string> = {
  src_sg_egress: 'source security group, egress',
  src_acl_egress: 'source subnet ACL, egress',
  dst_acl_ingress: 'destination subnet ACL, ingress',
  dst_sg_ingress: 'destination security group, ingress',
  dst_sg_egress: 'destination security group, egress (reply)',
  dst_acl_egress: 'destination subnet ACL, egress (reply)',
  src_acl_ingress: 'source subnet ACL, ingress (reply)',
  src_sg_ingress: 'source security group, ingress (reply)',
};

function str(v: unknown): string | null {
  return v === undefined || v === null || v === '' ? null : String(v);
}

function asHop(h: Obj, path?: string): Hop {
  return {
    hop: String(h.hop ?? h.name ?? h.step ?? ''),
    interface_id: str(h.interface_id ?? h.interface),
    crossed: h.crossed === undefined ? undefined : Boolean(h.crossed),
    action: str(h.action ?? h.verdict ?? h.decision),
    kind: str(h.kind),
    id: str(h.id ?? h.group ?? h.acl ?? h.security_group),
    rule: str(h.rule ?? h.rule_id),
    path,
  };
}

/** The hops of an answer: top-level `hops`, or the request and reply paths. */
function hopsOf(d: Obj): Hop[] {
  if (Array.isArray(d.hops)) return (d.hops as Obj[]).map((h) => asHop(h, str(h.path) ?? undefined));
  const out: Hop[] = [];
  for (const p of ['request', 'reply']) {
    const path = d[p] as Obj | undefined;
    if (path && Array.isArray(path.hops)) out.push(...(path.hops as Obj[]).map((h) => asHop(h, p)));
  }
  return out;
}

function reachableOf(d: Obj): boolean | undefined {
  if (typeof d.reachable === 'boolean') return d.reachable;
  const req = d.request as Obj | undefined;
  const rep = d.reply as Obj | undefined;
  if (req?.action) return req.action === 'ACCEPT' && rep?.action !== 'REJECT';
  return undefined;
}

function blockedOf(d: Obj, hops: Hop[]): { id: string | null; rule: string | null; hop: string | null } {
  const blocking = hops.find((h) => h.action === 'REJECT');
  const req = d.request as Obj | undefined;
  const rep = d.reply as Obj | undefined;
  const path = req?.action === 'REJECT' ? req : rep?.action === 'REJECT' ? rep : undefined;
  return {
    id: str(d.blocked_by) ?? blocking?.id ?? null,
    rule: str(d.rule_id ?? d.deciding_rule) ?? str(path?.rule_id) ?? blocking?.rule ?? null,
    hop: str(path?.blocked_by) ?? blocking?.hop ?? null,
  };
}

function Verdict({ d }: { d: Obj }) {
  const hops = hopsOf(d);
  const reachable = reachableOf(d);
  const blocked = blockedOf(d, hops);
  const fix = d.fix ?? d.proposed_fix ?? d.proposal ?? d.suggestion;
  const observed = d.observed ?? d.observation;
  return (
    <div className="verdict">
      <div className={`verdict-banner ${reachable ? 'good' : 'bad'}`} role="status" data-testid="verdict">
        {reachable === undefined ? 'No verdict' : reachable ? 'Reachable' : 'Blocked'}
        {!reachable && blocked.id && (
          <span>
            {' '}
            by <strong data-testid="blocked-by">{blocked.id}</strong>
            {blocked.rule && (
              <>
                {' '}
                · rule <strong data-testid="blocking-rule">{blocked.rule}</strong>
              </>
            )}
            {blocked.hop && <> · at {HOP_NAMES[blocked.hop] ?? blocked.hop}</>}
          </span>
        )}
      </div>
      {hops.length > 0 && (
        <ol className="hops" aria-label="Hops">
          {hops.map((h, i) => (
            <li key={i} className={`hop ${h.action === 'REJECT' ? 'bad' : h.action === 'ACCEPT' ? 'good' : 'skipped'}`}>
              <span className="hop-name">{HOP_NAMES[h.hop] ?? h.hop}</span>
              <span className="hop-action">{h.action ?? (h.crossed === false ? 'not crossed' : 'not evaluated')}</span>
              <span className="hop-rule">
                {h.kind ? `${h.kind.replace('_', ' ')} ` : ''}
                {h.id ?? ''}
                {h.rule ? ` / ${h.rule}` : ''}
              </span>
              {h.interface_id && <span className="muted small">{h.interface_id}</span>}
            </li>
          ))}
        </ol>
      )}
      {fix !== undefined && fix !== null && (
        <div className="fix">
          <h3>Proposed fix</h3>
          {typeof fix === 'object' ? (Array.isArray(fix) ? <RowsTable rows={fix as Obj[]} label="Proposed rule changes" /> : <KeyValues data={fix as Obj} label="Proposed rule change" />) : <p>{text(fix)}</p>}
        </div>
      )}
      {observed !== undefined && observed !== null && typeof observed === 'object' && (
        <div className="observed">
          <h3>Observed</h3>
          <KeyValues data={observed as Obj} label="Observed flows" />
        </div>
      )}
    </div>
  );
}

function Reachability() {
  const range = useRange();
  const { params } = useLocation();
  const q = { src: params.get('src') ?? '', dst: params.get('dst') ?? '', port: params.get('port') ?? '', protocol: params.get('protocol') ?? 'tcp' };
  const [form, setForm] = useState(q);
  useEffect(() => setForm(q), [q.src, q.dst, q.port, q.protocol]);
  const ready = q.src && q.dst && (q.port || q.protocol === 'icmp');
  const load = useApi(ready
      ? async (signal) => {
          await needs('GET /api/diagnose');
          return api.get<Obj>('/api/diagnose', { ...q, ...rangeParams(range) }, signal);
        }
      : null, [q.src, q.dst, q.port, q.protocol, range.from, range.to]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setParams({ src: form.src.trim(), dst: form.dst.trim(), port: form.port.trim(), protocol: form.protocol === 'tcp' ? undefined : form.protocol });
  };
  return (
    <Card title="Can A reach B?" id="reachability">
      <form className="controls" onSubmit={submit} aria-label="Reachability">
        <label>
          Source <input name="src" value={form.src} onChange={(e) => setForm({ ...form, src: e.target.value })} placeholder="IP, ENI or instance id" required />
        </label>
        <label>
          Destination <input name="dst" value={form.dst} onChange={(e) => setForm({ ...form, dst: e.target.value })} placeholder="IP, ENI or instance id" required />
        </label>
        <label>
          Port <input name="port" value={form.port} onChange={(e) => setForm({ ...form, port: e.target.value })} inputMode="numeric" size={6} placeholder="443" />
        </label>
        <label>
          Protocol{' '}
          <select name="protocol" value={form.protocol} onChange={(e) => setForm({ ...form, protocol: e.target.value })}>
            {['tcp', 'udp', 'icmp'].map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn primary">
          Diagnose
        </button>
      </form>
      {ready ? (
        <Async load={load} what="Reachability analysis">
          {(d) => <Verdict d={d} />}
        </Async>
      ) : (
        <p className="muted">Give a source, a destination and a port, or pick one of the rejected connections below.</p>
      )}
    </Card>
  );
}

/** Recently rejected connections, one click from being diagnosed. */
function RejectedConnections() {
  const range = useRange();
  const query = 'action:REJECT | SELECT src_addr, dst_addr, protocol, dst_port, count(*) AS flows GROUP BY 1, 2, 3, 4 ORDER BY flows DESC LIMIT 8';
  const load = useApi((signal) => api.post<QueryResult>('/api/query', { query, ...rangeParams(range), limit: 8 }, signal), [range.from, range.to]);
  return (
    <Card title="Rejected connections" id="rejected-connections" actions={<Link href={searchHref(query)}>Search</Link>}>
      <Async load={load} what="Rejected connections" isEmpty={(d) => d.rows.length === 0}>
        {(d) => (
          <Table<unknown[]>
            label="Rejected connections"
            rows={d.rows}
            onSelect={(r) => setParams({ src: String(r[0]), dst: String(r[1]), protocol: protocolName(r[2]).toLowerCase() === 'tcp' ? undefined : protocolName(r[2]).toLowerCase(), port: String(r[3]) })}
            columns={[
              { key: 'conn', label: 'Connection', render: (r) => `${r[0]} → ${r[1]} ${protocolName(r[2])}/${r[3]}` },
              { key: 'flows', label: 'Rejected flows', numeric: true, render: (r) => fmtCount(r[4]) },
            ]}
          />
        )}
      </Async>
    </Card>
  );
}

function Finder(props: { title: string; path: string; id: string; what: string }) {
  const range = useRange();
  const load = useApi(async (signal) => {
      await needs(`GET ${props.path}`);
      return api.get<unknown>(props.path, rangeParams(range), signal);
    }, [range.from, range.to, props.path]);
  return (
    <Card title={props.title} id={props.id}>
      <Async load={load} what={props.what} isEmpty={(d) => rowsOf(d).length === 0} empty={`No ${props.what.toLowerCase()} in this time range.`}>
        {(d) => <RowsTable rows={rowsOf(d)} label={props.title} />}
      </Async>
    </Card>
  );
}

export default function Diagnose() {
  return (
    <div className="grid two">
      <div className="span-2">
        <Reachability />
      </div>
      <RejectedConnections />
      <div className="stack">
        <Finder title="Broadcast and multicast storms" path="/api/analyses/storms" id="storms" what="Storms" />
        <Finder title="Bandwidth hogs" path="/api/analyses/hogs" id="hogs" what="Hogs" />
      </div>
    </div>
  );
}
