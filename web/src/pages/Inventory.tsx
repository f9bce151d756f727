// Inventory: the network as a tree (VPC → subnet → ENI); the chosen node's facts, its traffic
// over time and the security-group and ACL rules that apply to it.

import { useMemo, useState } from 'react';
import { Card } from '../components/Card';
import { Chart } from '../components/Chart';
import { KeyValues, RowsTable } from '../components/Generic';
import { Async, Empty } from '../components/State';
import { api } from '../lib/api';
import { cidrsOf, eniLabel, loadInventory, type Tree } from '../lib/inventory';
import { searchHref, term } from '../lib/links';
import { rangeParams, useRange } from '../lib/range';
import type { InventoryDoc, InventoryRule, SeriesResult } from '../lib/types';
import { useApi } from '../lib/useApi';
import { Link, pageHref, useParam } from '../lib/url';
import { trafficOption } from './Overview';

function rulesTable(rules: InventoryRule[] | undefined): Record<string, unknown>[] {
  return (rules ?? []).map((r) => ({ rule: r.id ?? r.number ?? '', action: r.action ?? 'allow', protocol: r.protocol ?? 'all', ports: r.ports ?? 'all', peer: r.peer ?? r.cidr ?? '', description: r.description ?? '' }));
}

function Rules(props: { title: string; owner?: { id: string; name?: string; ingress?: InventoryRule[]; egress?: InventoryRule[] } }) {
  if (!props.owner) return null;
  const o = props.owner;
  return (
    <div className="rules">
      <h3>
        {props.title} {o.name ? `${o.name} (${o.id})` : o.id} <Link href={searchHref(`rule_id:${o.id}/*`)}>hits</Link>
      </h3>
      {(['ingress', 'egress'] as const).map((d) => (
        <div key={d}>
          <h4>{d}</h4>
          {o[d]?.length ? <RowsTable rows={rulesTable(o[d])} label={`${o.id} ${d} rules`} /> : <p className="muted small">No {d} rules.</p>}
        </div>
      ))}
    </div>
  );
}

function Traffic(props: { field: string; id: string }) {
  const range = useRange();
  const load = useApi((signal) => api.get<SeriesResult>('/api/analyses/series', { ...rangeParams(range), filter: term(props.field, props.id), split: 'action' }, signal), [props.field, props.id, range.from, range.to]);
  const option = useMemo(() => (load.data ? trafficOption(load.data) : {}), [load.data]);
  return (
    <Async load={load} what="Traffic" isEmpty={(d) => d.points.length === 0}>
      {() => <Chart option={option} label={`Traffic of ${props.id} over time`} height={200} />}
    </Async>
  );
}

type Selection = { kind: 'vpc' | 'subnet' | 'eni'; id: string } | undefined;

function select(tree: Tree, sel: string): Selection {
  if (!sel) return undefined;
  if (tree.doc.vpcs?.some((v) => v.id === sel)) return { kind: 'vpc', id: sel };
  if (tree.doc.subnets?.some((v) => v.id === sel)) return { kind: 'subnet', id: sel };
  if (tree.doc.enis?.some((v) => v.id === sel)) return { kind: 'eni', id: sel };
  return undefined;
}

function Details(props: { doc: InventoryDoc; sel: NonNullable<Selection> }) {
  const { doc, sel } = props;
  if (sel.kind === 'vpc') {
    const v = doc.vpcs!.find((x) => x.id === sel.id)!;
    return (
      <Card title={`VPC ${v.name ?? v.id}`} id="node" actions={<Link href={searchHref(term('vpc_id', v.id))}>Flows</Link>}>
        <KeyValues label="VPC" data={{ id: v.id, account: v.account_id ?? '', region: v.region ?? '', cidrs: cidrsOf(v), subnets: (doc.subnets ?? []).filter((s) => s.vpc === v.id).length }} />
        <Traffic field="vpc_id" id={v.id} />
      </Card>
    );
  }
  if (sel.kind === 'subnet') {
    const s = doc.subnets!.find((x) => x.id === sel.id)!;
    const acl = doc.network_acls?.find((a) => a.id === s.network_acl);
    return (
      <Card title={`Subnet ${s.name ?? s.id}`} id="node" actions={<Link href={searchHref(term('subnet_id', s.id))}>Flows</Link>}>
        <KeyValues label="Subnet" data={{ id: s.id, vpc: s.vpc, cidrs: cidrsOf(s), zone: s.zone ?? '', network_acl: s.network_acl ?? '', interfaces: (doc.enis ?? []).filter((e) => e.subnet === s.id).length }} />
        <Traffic field="subnet_id" id={s.id} />
        <Rules title="Network ACL" owner={acl} />
      </Card>
    );
  }
  const e = doc.enis!.find((x) => x.id === sel.id)!;
  const subnet = doc.subnets?.find((s) => s.id === e.subnet);
  const acl = doc.network_acls?.find((a) => a.id === subnet?.network_acl);
  return (
    <Card
      title={`Interface ${e.id}`}
      id="node"
      actions={
        <>
          <Link href={searchHref(term('interface_id', e.id))}>Flows</Link> <Link href={pageHref('/bandwidth', { eni: e.id })}>Bandwidth</Link>
        </>
      }
    >
      <KeyValues label="Interface" data={{ instance: [e.instance_name, e.instance_id].filter(Boolean).join(' · '), ips: (e.ips ?? []).join(', '), public_ip: e.public_ip ?? '', mac: e.mac ?? '', subnet: e.subnet, security_groups: (e.security_groups ?? []).join(', '), bandwidth_cap: e.bandwidth_mbps ? `${e.bandwidth_mbps} Mb/s` : '' }} />
      <Traffic field="interface_id" id={e.id} />
      {(e.security_groups ?? []).map((g) => (
        <Rules key={g} title="Security group" owner={doc.security_groups?.find((x) => x.id === g) ?? { id: g }} />
      ))}
      <Rules title="Subnet network ACL" owner={acl} />
    </Card>
  );
}

function TreeView(props: { tree: Tree; sel: string; onSelect: (id: string) => void }) {
  const [filter, setFilter] = useState('');
  const f = filter.trim().toLowerCase();
  const match = (...xs: Array<string | undefined>) => !f || xs.some((x) => x?.toLowerCase().includes(f));
  const node = (id: string, label: string, extra: string) => (
    <button type="button" className={`tree-node ${props.sel === id ? 'selected' : ''}`} aria-current={props.sel === id ? 'true' : undefined} onClick={() => props.onSelect(id)}>
      {label} <span className="muted small">{extra}</span>
    </button>
  );
  return (
    <div className="tree">
      <label className="field">
        Find
        <input value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="id, name or address" />
      </label>
      <ul role="tree" aria-label="VPCs, subnets and interfaces">
        {props.tree.vpcs.map(({ vpc, subnets }) => (
          <li key={vpc.id} role="treeitem" aria-expanded="true">
            {node(vpc.id, vpc.name ?? vpc.id, cidrsOf(vpc))}
            <ul role="group">
              {subnets
                .filter(({ subnet, enis }) => match(subnet.id, subnet.name, cidrsOf(subnet)) || enis.some((e) => match(e.id, e.instance_name, ...(e.ips ?? []))))
                .map(({ subnet, enis }) => (
                  <li key={subnet.id} role="treeitem" aria-expanded="true">
                    {node(subnet.id, subnet.name ?? subnet.id, cidrsOf(subnet))}
                    <ul role="group">
                      {enis
                        .filter((e) => match(subnet.id, subnet.name, e.id, e.instance_name, ...(e.ips ?? [])))
                        .map((e) => (
                          <li key={e.id} role="treeitem">
                            {node(e.id, e.instance_name ?? e.id, eniLabel(e).replace(`${e.id} · `, '').replace(`${e.instance_name} · `, ''))}
                          </li>
                        ))}
                    </ul>
                  </li>
                ))}
            </ul>
          </li>
        ))}
      </ul>
    </div>
  );
}

export default function Inventory() {
  const [sel, setSel] = useParam('sel');
  const load = useApi((signal) => loadInventory(signal), []);
  return (
    <Async load={load} what="Inventory" isEmpty={(t) => t.vpcs.length === 0} empty="The inventory is empty: import one with flowlogs inventory import.">
      {(tree) => {
        // Nothing chosen: the first VPC, so the page opens on something.
        const s = select(tree, sel) ?? (tree.vpcs[0] ? { kind: 'vpc' as const, id: tree.vpcs[0].vpc.id } : undefined);
        return (
          <div className="grid inventory">
            <Card title="Network" id="tree">
              <TreeView tree={tree} sel={s?.id ?? ''} onSelect={(id) => setSel(id)} />
            </Card>
            {s ? <Details doc={tree.doc} sel={s} /> : <Empty>Pick a VPC, subnet or interface to see its traffic and rules.</Empty>}
          </div>
        );
      }}
    </Async>
  );
}
