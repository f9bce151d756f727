// Policies: how often each security-group and ACL rule decided traffic, which rules of the
// inventory decided nothing in the range, and the server's policy analysis (over-broad rules,
// least-privilege proposals) where it offers one.

import { useMemo, useState, type FormEvent } from 'react';
import { Card } from '../components/Card';
import { KeyValues, RowsTable, rowsOf } from '../components/Generic';
import { Async, Empty } from '../components/State';
import { Table } from '../components/Table';
import { api } from '../lib/api';
import { fmtAgo, fmtBytes, fmtCount } from '../lib/format';
import { searchHref, term } from '../lib/links';
import { loadInventoryDoc } from '../lib/inventory';
import { rangeParams, useRange } from '../lib/range';
import { needs } from '../lib/schema';
import type { InventoryDoc, InventoryRule, QueryResult } from '../lib/types';
import { useApi } from '../lib/useApi';
import { setParams, useParam } from '../lib/url';

const HITS = '| SELECT rule_id, action, count(*) AS flows, sum(bytes) AS total_bytes, max(start) AS last_seen GROUP BY rule_id, action ORDER BY flows DESC LIMIT 1000';

interface Hit {
  rule_id: string;
  action: string;
  flows: number;
  total_bytes: number;
  last_seen: number;
}

interface InventoryRuleRef {
  rule_id: string;
  owner: string;
  direction: string;
  description: string;
}

function inventoryRules(inv: InventoryDoc): InventoryRuleRef[] {
  const out: InventoryRuleRef[] = [];
  const add = (owner: string, direction: string, r: InventoryRule, name: string | undefined) => {
    if (name === undefined) return;
    const what = [r.action, r.protocol, r.ports !== undefined ? `port ${r.ports}` : '', r.peer ?? r.cidr, r.description ? `(${r.description})` : ''].filter(Boolean).join(' ');
    out.push({ rule_id: `${owner}/${name}`, owner, direction, description: what });
  };
  for (const g of inv.security_groups ?? []) for (const dir of ['ingress', 'egress'] as const) for (const r of g[dir] ?? []) add(g.id, dir, r, r.id);
  for (const a of inv.network_acls ?? []) for (const dir of ['ingress', 'egress'] as const) for (const r of a[dir] ?? []) add(a.id, dir, r, r.number !== undefined ? String(r.number) : undefined);
  return out;
}

function RuleHits() {
  const range = useRange();
  const load = useApi(
    async (signal) => {
      const [hits, inv] = await Promise.all([
        api.post<QueryResult>('/api/query', { query: HITS, ...rangeParams(range), limit: 1000 }, signal),
        loadInventoryDoc(signal).catch(() => undefined),
      ]);
      const rows: Hit[] = hits.rows.map((r) => ({ rule_id: String(r[0] ?? ''), action: String(r[1]), flows: Number(r[2]), total_bytes: Number(r[3]), last_seen: Number(r[4]) }));
      return { rows, inventory: inv };
    },
    [range.from, range.to],
  );
  const unused = useMemo(() => {
    if (!load.data?.inventory) return undefined;
    const hit = new Set(load.data.rows.map((r) => r.rule_id));
    return inventoryRules(load.data.inventory).filter((r) => !hit.has(r.rule_id));
  }, [load.data]);
  return (
    <>
      <Card title="Rule hits" id="rule-hits">
        <Async load={load} what="Rule hits" isEmpty={(d) => d.rows.length === 0}>
          {(d) => (
            <Table<Hit>
              label="Rule hits"
              scroll
              rows={d.rows.filter((r) => r.rule_id !== '')}
              rowKey={(r) => `${r.rule_id}/${r.action}`}
              href={(r) => searchHref(term('rule_id', r.rule_id))}
              columns={[
                { key: 'rule_id', label: 'Rule' },
                { key: 'action', label: 'Action', render: (r) => <span className={r.action === 'REJECT' ? 'bad' : undefined}>{r.action}</span> },
                { key: 'flows', label: 'Flows', numeric: true, render: (r) => fmtCount(r.flows) },
                { key: 'total_bytes', label: 'Bytes', numeric: true, render: (r) => fmtBytes(r.total_bytes) },
                { key: 'last_seen', label: 'Last hit', render: (r) => fmtAgo(r.last_seen) },
              ]}
            />
          )}
        </Async>
      </Card>
      <Card title="Rules that decided no flow in this range" id="unused-rules">
        <p className="muted small">From the rule each flow record names (rule_id) and the rules of the inventory.</p>
        {load.data === undefined ? (
          <Async load={load} what="Unused rules">
            {() => null}
          </Async>
        ) : unused === undefined ? (
          <Empty>Needs the inventory, which this server does not share (GET /api/inventory).</Empty>
        ) : unused.length === 0 ? (
          <Empty>Every rule of the inventory decided some traffic in this range.</Empty>
        ) : (
          <Table<InventoryRuleRef>
            label="Rules with no hits"
            scroll
            rows={unused}
            rowKey={(r) => `${r.rule_id}/${r.direction}`}
            columns={[
              { key: 'rule_id', label: 'Rule' },
              { key: 'direction', label: 'Direction' },
              { key: 'description', label: 'Allows / denies' },
            ]}
          />
        )}
      </Card>
    </>
  );
}

function Analysis() {
  const range = useRange();
  const load = useApi(async (signal) => {
    await needs('GET /api/policies');
    return api.get<Record<string, unknown>>('/api/policies', rangeParams(range), signal);
  }, [range.from, range.to]);
  return (
    <Card title="Over-broad rules" id="over-broad">
      <Async load={load} what="Policy analysis" isEmpty={(d) => rowsOf(d, 'over_broad', 'overbroad').length === 0} empty="No over-broad rules found in this range.">
        {(d) => <RowsTable rows={rowsOf(d, 'over_broad', 'overbroad')} label="Over-broad rules" />}
      </Async>
    </Card>
  );
}

function LeastPrivilege() {
  const range = useRange();
  const [group] = useParam('group');
  const [draft, setDraft] = useState(group);
  const load = useApi(group
      ? async (signal) => {
          await needs('GET /api/policies/least-privilege');
          return api.get<Record<string, unknown>>('/api/policies/least-privilege', { group, ...rangeParams(range) }, signal);
        }
      : null, [group, range.from, range.to]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setParams({ group: draft.trim() });
  };
  return (
    <Card title="Least-privilege proposal" id="least-privilege">
      <form className="controls" onSubmit={submit}>
        <label>
          Security group <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="sg-…" />
        </label>
        <button type="submit" className="btn">
          Propose
        </button>
      </form>
      {group ? (
        <Async load={load} what="Least-privilege proposals">
          {(d) => {
            const rules = rowsOf(d, 'rules', 'proposed');
            return rules.length ? <RowsTable rows={rules} label="Proposed rules" /> : <KeyValues data={d} label="Proposal" />;
          }}
        </Async>
      ) : (
        <p className="muted">Name a security group to get the rules its observed traffic needs.</p>
      )}
    </Card>
  );
}

export default function Policies() {
  return (
    <div className="grid two">
      <RuleHits />
      <Analysis />
      <LeastPrivilege />
    </div>
  );
}
