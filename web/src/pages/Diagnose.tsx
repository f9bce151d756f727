// Diagnose: why A can or cannot reach B — the verdict, each hop with its deciding rule, what was
// observed and the smallest fix; and the finders for storms and bandwidth hogs.

import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Card } from '../components/Card';
import { Async } from '../components/State';
import { Table } from '../components/Table';
import { api } from '../lib/api';
import { fmtBps, fmtBytes, fmtCount, fmtTime, protocolName } from '../lib/format';
import { searchHref } from '../lib/links';
import { rangeParams, useRange } from '../lib/range';
import { needs } from '../lib/schema';
import type { Evidence, QueryResult } from '../lib/types';
import { useApi } from '../lib/useApi';
import { Link, setParams, useLocation } from '../lib/url';

interface RuleSummary {
  rule: string;
  text: string;
}

/** GET /api/diagnose, the parts shown here (src/analyze/reachability/diagnose.ts). */
interface Hop {
  hop: string;
  leg: 'request' | 'reply';
  kind: 'security_group' | 'network_acl';
  interface_id: string | null;
  applies: boolean;
  reached: boolean;
  tracked: boolean;
  action: 'ACCEPT' | 'REJECT' | null;
  id: string | null;
  rule_id: string | null;
  rule: RuleSummary | null;
  port: number;
  peer: string;
}

interface RuleChange {
  change: 'add' | 'remove';
  id: string;
  direction: string;
  interfaces: number;
  text: string;
  alternative?: string;
}

interface LegCounts {
  accept: number;
  reject: number;
  packets: number;
  bytes: number;
  last_seen: number | null;
}

interface Diagnosis {
  reachable: boolean;
  blocked_by: string | null;
  blocked_at: string | null;
  deciding_rule: (RuleSummary & { rule_id: string }) | null;
  summary: string;
  hops: Hop[];
  fix: { goal: 'allow' | 'deny'; needed: boolean; changes: RuleChange[]; note: string };
  observed?: { request: LegCounts; reply: LegCounts; verdict: string; explanation: string; evidence: Evidence };
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

function hopState(h: Hop): string {
  if (!h.applies) return 'not on the path';
  if (!h.reached) return 'not reached';
  if (h.tracked) return `${h.action ?? 'ACCEPT'} (tracked)`;
  return h.action ?? 'not evaluated';
}

function Verdict({ d }: { d: Diagnosis }) {
  const o = d.observed;
  return (
    <div className="verdict">
      <div className={`verdict-banner ${d.reachable ? 'good' : 'bad'}`} role="status" data-testid="verdict">
        {d.reachable ? 'Reachable' : 'Blocked'}
        {!d.reachable && d.blocked_by && (
          <span>
            {' '}
            by <strong data-testid="blocked-by">{d.blocked_by}</strong>
            {d.deciding_rule && (
              <>
                {' '}
                · rule <strong data-testid="blocking-rule">{d.deciding_rule.rule_id}</strong> ({d.deciding_rule.text})
              </>
            )}
            {d.blocked_at && <> · at {HOP_NAMES[d.blocked_at] ?? d.blocked_at}</>}
          </span>
        )}
      </div>
      <p className="small" data-testid="summary">
        {d.summary}
      </p>
      <ol className="hops" aria-label="Hops">
        {d.hops.map((h) => (
          <li key={h.hop} className={`hop ${h.applies && h.reached && h.action === 'REJECT' ? 'bad' : h.applies && h.reached && h.action === 'ACCEPT' ? 'good' : 'skipped'}`}>
            <span className="hop-name">{HOP_NAMES[h.hop] ?? h.hop}</span>
            <span className="hop-action">{hopState(h)}</span>
            <span className="hop-rule">
              {h.id ?? ''}
              {h.rule ? ` / ${h.rule.rule}: ${h.rule.text}` : ''}
            </span>
            {h.interface_id && <span className="muted small">{h.interface_id}</span>}
          </li>
        ))}
      </ol>
      <div className="fix">
        <h3>{d.fix.goal === 'deny' ? 'To block it' : 'To allow it'}</h3>
        {d.fix.changes.length > 0 ? (
          <Table<RuleChange>
            label="Proposed rule changes"
            rows={d.fix.changes}
            columns={[
              {
                key: 'text',
                label: 'Change',
                render: (c) => (
                  <>
                    {c.text}
                    {c.alternative && <div className="muted small">or: {c.alternative}</div>}
                  </>
                ),
              },
              { key: 'interfaces', label: 'Interfaces affected', numeric: true, render: (c) => fmtCount(c.interfaces) },
            ]}
          />
        ) : null}
        <p className="muted small">{d.fix.note}</p>
      </div>
      {o && (
        <div className="observed">
          <h3>Observed in this range</h3>
          <Table<{ leg: string } & LegCounts>
            label="Observed flows"
            rows={[
              { leg: 'request', ...o.request },
              { leg: 'reply', ...o.reply },
            ]}
            columns={[
              { key: 'leg', label: 'Leg' },
              { key: 'accept', label: 'ACCEPT records', numeric: true, render: (r) => fmtCount(r.accept) },
              { key: 'reject', label: 'REJECT records', numeric: true, render: (r) => fmtCount(r.reject) },
              { key: 'bytes', label: 'Bytes', numeric: true, render: (r) => fmtBytes(r.bytes) },
              { key: 'last_seen', label: 'Last seen', render: (r) => (r.last_seen === null ? '–' : fmtTime(r.last_seen)) },
            ]}
          />
          <p className="small" data-testid="observation">
            {o.explanation} <Link href={searchHref(o.evidence.query, o.evidence)}>Open the records</Link>
          </p>
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
          return api.get<Diagnosis>('/api/diagnose', { ...q, ...rangeParams(range) }, signal);
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

interface StormSource {
  interface_id: string;
  subnet_id: string;
  src_addr: string;
  packets: number;
  avg_pps: number;
  peak_pps: number;
  subnet_share: number | null;
  started: number | null;
  last_seen: number;
  destinations: Array<{ dst_addr: string; kind: string; packets: number }>;
  evidence: Evidence;
}

interface Hog {
  interface_id: string;
  direction: string;
  bandwidth_mbps: number | null;
  reasons: string[];
  peak_bps: number;
  utilisation: number | null;
  usual_bps: number | null;
  started: number;
  ended: number;
  peers: Array<{ addr: string; port: number; protocol: number; share: number }>;
  evidence: Evidence;
}

const pct = (v: number | null) => (v === null ? '–' : `${Math.round(v * 100)} %`);

/** An answer from /api/answers/…, with the query behind it one click away. */
function Answer<D extends { evidence: Evidence }, T>(props: { title: string; path: string; id: string; what: string; rows: (d: D) => T[]; children: (rows: T[]) => ReactNode }) {
  const range = useRange();
  const load = useApi(async (signal) => {
      await needs(`GET ${props.path}`);
      return api.get<D>(props.path, rangeParams(range), signal);
    }, [range.from, range.to, props.path]);
  const rows = props.rows;
  return (
    <Card title={props.title} id={props.id} actions={load.data ? <Link href={searchHref(load.data.evidence.query, load.data.evidence)}>Search</Link> : undefined}>
      <Async load={load} what={props.what} isEmpty={(d) => rows(d).length === 0} empty={`No ${props.what.toLowerCase()} in this time range.`}>
        {(d) => props.children(rows(d))}
      </Async>
    </Card>
  );
}

function Storms() {
  return (
    <Answer<{ sources: StormSource[]; evidence: Evidence }, StormSource> title="Broadcast and multicast storms" path="/api/answers/storms" id="storms" what="Storms" rows={(d) => d.sources}>
      {(rows) => (
        <Table<StormSource>
          label="Storm senders"
          rows={rows}
          href={(r) => searchHref(r.evidence.query, r.evidence)}
          columns={[
            { key: 'interface_id', label: 'Interface' },
            { key: 'src_addr', label: 'Address' },
            { key: 'peak_pps', label: 'Peak pps', numeric: true, render: (r) => fmtCount(r.peak_pps) },
            { key: 'subnet_share', label: 'Share of subnet', numeric: true, render: (r) => pct(r.subnet_share) },
            { key: 'started', label: 'Started', render: (r) => fmtTime(r.started) },
            { key: 'destinations', label: 'To', render: (r) => r.destinations.slice(0, 3).map((x) => `${x.dst_addr} (${x.kind.replace('_', ' ')})`).join(', ') },
          ]}
        />
      )}
    </Answer>
  );
}

function Hogs() {
  return (
    <Answer<{ hogs: Hog[]; evidence: Evidence }, Hog> title="Bandwidth hogs" path="/api/answers/hogs" id="hogs" what="Hogs" rows={(d) => d.hogs}>
      {(rows) => (
        <Table<Hog>
          label="Bandwidth hogs"
          rows={rows}
          href={(r) => searchHref(r.evidence.query, r.evidence)}
          columns={[
            { key: 'interface_id', label: 'Interface' },
            { key: 'direction', label: 'Direction' },
            { key: 'reasons', label: 'Why', render: (r) => r.reasons.map((x) => (x === 'over_cap' ? 'over its cap' : 'far above its history')).join(', ') },
            { key: 'peak_bps', label: 'Peak', numeric: true, render: (r) => fmtBps(r.peak_bps) },
            { key: 'utilisation', label: 'Of cap', numeric: true, render: (r) => pct(r.utilisation) },
            { key: 'usual_bps', label: 'Usual', numeric: true, render: (r) => (r.usual_bps === null ? '–' : fmtBps(r.usual_bps)) },
            { key: 'started', label: 'Started', render: (r) => fmtTime(r.started) },
            { key: 'peers', label: 'Top peers', render: (r) => r.peers.slice(0, 2).map((p) => `${p.addr}:${p.port} ${pct(p.share)}`).join(', ') },
          ]}
        />
      )}
    </Answer>
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
        <Storms />
        <Hogs />
      </div>
    </div>
  );
}
