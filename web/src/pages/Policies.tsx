// Policies: the server's policy answers (/api/answers/policy/…) — how often each security-group
// and ACL rule decided traffic, the rules that decided nothing, over-broad rules with the narrower
// rule their traffic needs, and a least-privilege set for one group, as the clouds' JSON too.
// Hits are replayed through the current inventory, so they count rules that records do not name.

import { useState, type FormEvent, type ReactNode } from 'react';
import { Card } from '../components/Card';
import { Async } from '../components/State';
import { Table } from '../components/Table';
import { api } from '../lib/api';
import { fmtAgo, fmtBytes, fmtCount, fmtTime } from '../lib/format';
import { searchHref } from '../lib/links';
import { rangeParams, useRange } from '../lib/range';
import { needs } from '../lib/schema';
import type { Evidence } from '../lib/types';
import { useApi } from '../lib/useApi';
import { Link, setParams, useParam } from '../lib/url';

/** RuleUse in src/analyze/policy/policy-answers.ts, the parts shown here. */
interface RuleUse {
  kind: 'security_group' | 'network_acl';
  id: string;
  direction: 'ingress' | 'egress';
  rule: string;
  rule_id: string;
  text: string;
  description: string;
  interfaces: number;
  hits: number;
  bytes: number;
  last_hit: number | null;
  peers: number;
  peers_capped: boolean;
  recorded: number;
  evidence: Evidence;
}

interface RulesAnswer<R> {
  flows: number;
  unknown_interface_flows: number;
  disagreeing_flows: number;
  rules: R[];
  evidence: Evidence;
}

interface ProposedRule {
  direction: 'ingress' | 'egress';
  id: string;
  protocol: string;
  ports: string;
  peer: string;
  replaces: string;
  flows: number;
  peers: number;
}

interface BroadRule extends RuleUse {
  admits_addresses: number;
  ports_admitted: number;
  ports_used: number;
  narrower: ProposedRule[];
  reason: string;
}

interface Proposal {
  group_id: string;
  group_name: string;
  semantics: 'aws' | 'tencent';
  members: number;
  observed: { flows: number; uses: number; admitted_elsewhere_flows: number; truncated: boolean };
  rules: ProposedRule[];
  unused: Array<{ direction: string; rule: string; text: string }>;
  check: { flows: number; uses: number; from: number; to: number; examples: Array<{ direction: string; protocol: string; port: number; peer: string; flows: number; rule: string }> };
  aws: unknown;
  tencent: unknown;
  evidence: Evidence;
}

function useAnswer<D>(path: string, params: Record<string, string> | null) {
  const range = useRange();
  return useApi(
    params
      ? async (signal) => {
          await needs(`GET ${path}`);
          return api.get<D>(path, { ...params, ...rangeParams(range) }, signal);
        }
      : null,
    [path, JSON.stringify(params), range.from, range.to],
  );
}

function searchLink(e: Evidence | undefined): ReactNode {
  return e ? <Link href={searchHref(e.query, e)}>Search</Link> : undefined;
}

function RuleHits() {
  const load = useAnswer<RulesAnswer<RuleUse>>('/api/answers/policy/hits', {});
  return (
    <Card title="Rule hits" id="rule-hits" actions={searchLink(load.data?.evidence)}>
      <Async load={load} what="Rule hits" isEmpty={(d) => d.rules.every((r) => r.hits === 0)}>
        {(d) => (
          <>
            <p className="muted small">
              {fmtCount(d.flows)} flows replayed through the current rules
              {d.disagreeing_flows > 0 ? `; logged with another verdict than these rules give: ${fmtCount(d.disagreeing_flows)}` : ''}
              {d.unknown_interface_flows > 0 ? `; at interfaces the inventory does not know: ${fmtCount(d.unknown_interface_flows)}` : ''}.
            </p>
            <Table<RuleUse>
              label="Rule hits"
              scroll
              rows={d.rules.filter((r) => r.hits > 0)}
              rowKey={(r) => `${r.rule_id}/${r.direction}`}
              href={(r) => searchHref(r.evidence.query, r.evidence)}
              columns={[
                { key: 'rule_id', label: 'Rule' },
                { key: 'direction', label: 'Direction' },
                { key: 'text', label: 'Allows / denies', render: (r) => <span className={r.text.startsWith('drop') || r.text.startsWith('deny') ? 'bad' : undefined}>{r.text}</span> },
                { key: 'hits', label: 'Flows', numeric: true, render: (r) => fmtCount(r.hits) },
                { key: 'bytes', label: 'Bytes', numeric: true, render: (r) => fmtBytes(r.bytes) },
                { key: 'peers', label: 'Peers', numeric: true, render: (r) => `${fmtCount(r.peers)}${r.peers_capped ? '+' : ''}` },
                { key: 'last_hit', label: 'Last hit', render: (r) => (r.last_hit === null ? '–' : fmtAgo(r.last_hit)) },
              ]}
            />
          </>
        )}
      </Async>
    </Card>
  );
}

function UnusedRules() {
  const load = useAnswer<RulesAnswer<RuleUse>>('/api/answers/policy/unused', {});
  return (
    <Card title="Rules that decided no flow in this range" id="unused-rules">
      <Async load={load} what="Unused rules" isEmpty={(d) => d.rules.length === 0} empty="Every explicit rule decided some traffic in this range.">
        {(d) => (
          <Table<RuleUse>
            label="Rules with no hits"
            scroll
            rows={d.rules}
            rowKey={(r) => `${r.rule_id}/${r.direction}`}
            columns={[
              { key: 'rule_id', label: 'Rule' },
              { key: 'direction', label: 'Direction' },
              { key: 'text', label: 'Allows / denies' },
              { key: 'interfaces', label: 'Interfaces', numeric: true, render: (r) => fmtCount(r.interfaces) },
            ]}
          />
        )}
      </Async>
    </Card>
  );
}

function OverBroad() {
  const load = useAnswer<RulesAnswer<BroadRule>>('/api/answers/policy/broad', {});
  return (
    <Card title="Over-broad rules" id="over-broad">
      <Async load={load} what="Over-broad rules" isEmpty={(d) => d.rules.length === 0} empty="No over-broad rules found in this range.">
        {(d) => (
          <Table<BroadRule>
            label="Over-broad rules"
            scroll
            rows={d.rules}
            rowKey={(r) => `${r.rule_id}/${r.direction}`}
            href={(r) => searchHref(r.evidence.query, r.evidence)}
            columns={[
              { key: 'rule_id', label: 'Rule' },
              { key: 'text', label: 'Allows' },
              { key: 'reason', label: 'Why' },
              { key: 'narrower', label: 'The traffic needs', render: (r) => r.narrower.map((n) => `${n.protocol} ${n.ports} ${n.peer}`).join('; ') },
            ]}
          />
        )}
      </Async>
    </Card>
  );
}

function LeastPrivilege() {
  const [group] = useParam('group');
  const [draft, setDraft] = useState(group);
  const load = useAnswer<Proposal>('/api/answers/policy/propose', group ? { group } : null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setParams({ group: draft.trim() });
  };
  return (
    <Card title="Least-privilege proposal" id="least-privilege" actions={searchLink(load.data?.evidence)}>
      <form className="controls" onSubmit={submit}>
        <label>
          Security group <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="sg-…" />
        </label>
        <button type="submit" className="btn">
          Propose
        </button>
      </form>
      {group ? (
        <Async load={load} what="Least-privilege proposal">
          {(d) => (
            <div className="rules">
              <p className="small">
                {d.group_id} ({d.group_name}, {d.members} interfaces): {fmtCount(d.observed.flows)} accepted flows, {fmtCount(d.observed.uses)} distinct uses.{' '}
                <span data-testid="would-reject">
                  {d.check.flows === 0 ? 'Nothing observed would have been refused.' : `${fmtCount(d.check.flows)} flows between ${fmtTime(d.check.from)} and ${fmtTime(d.check.to)} would have been refused.`}
                </span>
              </p>
              <Table<ProposedRule>
                label="Proposed rules"
                rows={d.rules}
                rowKey={(r) => `${r.direction}/${r.id}`}
                columns={[
                  { key: 'direction', label: 'Direction' },
                  { key: 'rule', label: 'Rule', render: (r) => `${r.protocol} ${r.ports} ${r.direction === 'ingress' ? 'from' : 'to'} ${r.peer}` },
                  { key: 'replaces', label: 'Narrows' },
                  { key: 'flows', label: 'Flows', numeric: true, render: (r) => fmtCount(r.flows) },
                  { key: 'peers', label: 'Peers', numeric: true, render: (r) => fmtCount(r.peers) },
                ]}
              />
              {d.unused.length > 0 && (
                <>
                  <h3>Left out (no traffic used them)</h3>
                  <ul className="small">
                    {d.unused.map((u) => (
                      <li key={`${u.direction}/${u.rule}`}>
                        {u.direction} {u.rule}: {u.text}
                      </li>
                    ))}
                  </ul>
                </>
              )}
              {(['aws', 'tencent'] as const).map((k) => (
                <details key={k}>
                  <summary>{k === 'aws' ? 'AWS rule JSON' : 'Tencent Cloud rule JSON'}</summary>
                  <pre className="small">{JSON.stringify(d[k], null, 2)}</pre>
                </details>
              ))}
            </div>
          )}
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
      <UnusedRules />
      <OverBroad />
      <LeastPrivilege />
    </div>
  );
}
