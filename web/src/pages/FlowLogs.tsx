// Flow logs: create one for a VPC, subnet or ENI picked from the inventory in a few clicks;
// edit, enable, disable and delete them; open the records each one produced.

import { useState, type FormEvent } from 'react';
import { Card } from '../components/Card';
import { Async, ErrorBox, Loading } from '../components/State';
import { api, isUnavailable } from '../lib/api';
import { cidrsOf, eniLabel, loadInventory, type Tree } from '../lib/inventory';
import { needs } from '../lib/schema';
import { searchHref, term } from '../lib/links';
import type { FlowLog } from '../lib/types';
import { useApi } from '../lib/useApi';
import { Link, setParams, useParam } from '../lib/url';

const WINDOWS = [1, 5, 10, 30, 60, 120, 300, 600];
const TRAFFIC = ['ALL', 'ACCEPT', 'REJECT'] as const;

interface Draft {
  name: string;
  scope_type: 'vpc' | 'subnet' | 'eni';
  scope_id: string;
  traffic_type: (typeof TRAFFIC)[number];
  window_seconds: number;
  store: boolean;
  sinks: string;
  enabled: boolean;
}

const EMPTY: Draft = { name: '', scope_type: 'subnet', scope_id: '', traffic_type: 'ALL', window_seconds: 60, store: true, sinks: '', enabled: true };

function draftOf(l: FlowLog): Draft {
  return { name: l.name, scope_type: l.scope_type, scope_id: l.scope_id, traffic_type: l.traffic_type, window_seconds: l.window_seconds, store: l.destinations.includes('store'), sinks: l.destinations.filter((d) => d !== 'store').join(', '), enabled: l.enabled };
}

function bodyOf(d: Draft): Record<string, unknown> {
  const destinations = [...(d.store ? ['store'] : []), ...d.sinks.split(',').map((s) => s.trim()).filter(Boolean)];
  return { ...(d.name.trim() ? { name: d.name.trim() } : {}), scope_type: d.scope_type, scope_id: d.scope_id, traffic_type: d.traffic_type, window: d.window_seconds, destinations, enabled: d.enabled };
}

function ScopePicker(props: { draft: Draft; set: (d: Draft) => void; tree?: Tree; treeError?: unknown }) {
  const { draft, set, tree } = props;
  const options = () => {
    if (!tree) return null;
    if (draft.scope_type === 'vpc')
      return tree.vpcs.map(({ vpc }) => (
        <option key={vpc.id} value={vpc.id}>
          {vpc.name ? `${vpc.name} · ` : ''}
          {vpc.id} · {cidrsOf(vpc)}
        </option>
      ));
    if (draft.scope_type === 'subnet')
      return tree.vpcs.map(({ vpc, subnets }) => (
        <optgroup key={vpc.id} label={vpc.name ?? vpc.id}>
          {subnets.map(({ subnet }) => (
            <option key={subnet.id} value={subnet.id}>
              {subnet.name ? `${subnet.name} · ` : ''}
              {subnet.id} · {cidrsOf(subnet)}
            </option>
          ))}
        </optgroup>
      ));
    return tree.vpcs.flatMap(({ vpc, subnets }) =>
      subnets.map(({ subnet, enis }) => (
        <optgroup key={subnet.id} label={`${vpc.name ?? vpc.id} / ${subnet.name ?? subnet.id}`}>
          {enis.map((e) => (
            <option key={e.id} value={e.id}>
              {eniLabel(e)}
            </option>
          ))}
        </optgroup>
      )),
    );
  };
  return (
    <fieldset className="scope">
      <legend>Scope</legend>
      <div className="segmented" role="radiogroup" aria-label="Scope type">
        {(['vpc', 'subnet', 'eni'] as const).map((t) => (
          <label key={t} className={draft.scope_type === t ? 'active' : undefined}>
            <input type="radio" name="scope_type" value={t} checked={draft.scope_type === t} onChange={() => set({ ...draft, scope_type: t, scope_id: '' })} />
            {t === 'eni' ? 'ENI' : t === 'vpc' ? 'VPC' : 'Subnet'}
          </label>
        ))}
      </div>
      {tree ? (
        <label className="field">
          {draft.scope_type === 'eni' ? 'Interface' : draft.scope_type === 'vpc' ? 'VPC' : 'Subnet'}
          <select name="scope_id" value={draft.scope_id} onChange={(e) => set({ ...draft, scope_id: e.target.value })} required>
            <option value="">Choose…</option>
            {options()}
          </select>
        </label>
      ) : props.treeError !== undefined ? (
        <label className="field">
          {draft.scope_type.toUpperCase()} id
          <input name="scope_id" value={draft.scope_id} onChange={(e) => set({ ...draft, scope_id: e.target.value })} placeholder={`${draft.scope_type}-…`} required />
          <span className="muted small">The inventory is not available here; type the id.</span>
        </label>
      ) : (
        <Loading label="Loading the inventory…" />
      )}
    </fieldset>
  );
}

function FlowLogForm(props: { initial: Draft; id?: string; tree?: Tree; treeError?: unknown; onDone: (l: FlowLog) => void; onCancel: () => void }) {
  const [draft, setDraft] = useState(props.initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const l = props.id ? await api.patch<FlowLog>(`/api/flowlogs/${encodeURIComponent(props.id)}`, bodyOf(draft)) : await api.post<FlowLog>('/api/flowlogs', bodyOf(draft));
      props.onDone(l);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="flowlog-form" onSubmit={submit} aria-label={props.id ? 'Edit flow log' : 'New flow log'}>
      <ScopePicker draft={draft} set={setDraft} tree={props.tree} treeError={props.treeError} />
      <label className="field">
        Name
        <input name="name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} placeholder={draft.scope_id ? `${draft.scope_id}-flow-log` : 'optional'} />
      </label>
      <fieldset>
        <legend>Traffic</legend>
        <div className="segmented" role="radiogroup" aria-label="Traffic type">
          {TRAFFIC.map((t) => (
            <label key={t} className={draft.traffic_type === t ? 'active' : undefined}>
              <input type="radio" name="traffic_type" value={t} checked={draft.traffic_type === t} onChange={() => setDraft({ ...draft, traffic_type: t })} />
              {t === 'ALL' ? 'All' : t === 'ACCEPT' ? 'Accepted' : 'Rejected'}
            </label>
          ))}
        </div>
      </fieldset>
      <label className="field">
        Aggregation window
        <select name="window" value={draft.window_seconds} onChange={(e) => setDraft({ ...draft, window_seconds: Number(e.target.value) })}>
          {WINDOWS.map((w) => (
            <option key={w} value={w}>
              {w < 60 ? `${w} s` : `${w / 60} min`}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>Destinations</legend>
        <label className="check">
          <input type="checkbox" checked={draft.store} onChange={(e) => setDraft({ ...draft, store: e.target.checked })} /> The built-in store (searchable here)
        </label>
        <label className="field">
          Sinks
          <input name="sinks" value={draft.sinks} onChange={(e) => setDraft({ ...draft, sinks: e.target.value })} placeholder="names of configured sinks, comma-separated" />
        </label>
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={draft.enabled} onChange={(e) => setDraft({ ...draft, enabled: e.target.checked })} /> Enabled
      </label>
      {error !== undefined && <ErrorBox error={error} />}
      <div className="row end">
        <button type="button" className="btn" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn primary" disabled={busy || !draft.scope_id}>
          {busy ? 'Saving…' : props.id ? 'Save' : 'Create flow log'}
        </button>
      </div>
    </form>
  );
}

function Row(props: { l: FlowLog; onChanged: () => void; onEdit: () => void }) {
  const { l } = props;
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async (f: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await f();
      props.onChanged();
    } catch (e) {
      setError(e);
    }
  };
  const id = encodeURIComponent(l.id);
  return (
    <tr data-flowlog={l.id}>
      <td>
        <strong>{l.name}</strong>
        <div className="muted small">{l.id}</div>
      </td>
      <td>
        {l.scope_type.toUpperCase()} {l.scope_id}
      </td>
      <td>{l.traffic_type}</td>
      <td className="num">{l.window_seconds < 60 ? `${l.window_seconds} s` : `${l.window_seconds / 60} min`}</td>
      <td>{l.destinations.join(', ')}</td>
      <td>
        <span className={`badge ${l.enabled ? 'good' : ''}`}>{l.enabled ? 'enabled' : 'disabled'}</span>
      </td>
      <td>
        <div className="actions">
          <Link href={searchHref(term('flow_log_id', l.id))}>Records</Link>
          <button type="button" className="btn small" onClick={props.onEdit}>
            Edit
          </button>
          <button type="button" className="btn small" onClick={() => run(() => api.post(`/api/flowlogs/${id}/${l.enabled ? 'disable' : 'enable'}`))}>
            {l.enabled ? 'Disable' : 'Enable'}
          </button>
          {confirm ? (
            <>
              <button type="button" className="btn small danger" onClick={() => run(() => api.del(`/api/flowlogs/${id}`))}>
                Really delete
              </button>
              <button type="button" className="btn small" onClick={() => setConfirm(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" className="btn small" onClick={() => setConfirm(true)}>
              Delete
            </button>
          )}
        </div>
        {error !== undefined && <ErrorBox error={error} />}
      </td>
    </tr>
  );
}

export default function FlowLogs() {
  const [editing, setEditing] = useParam('edit');
  const [created, setCreated] = useState<FlowLog>();
  const load = useApi(async (signal) => {
    await needs('GET /api/flowlogs');
    return api.get<{ flow_logs: FlowLog[] }>('/api/flowlogs', undefined, signal);
  }, []);
  const inv = useApi((signal) => loadInventory(signal), []);
  const logs = load.data?.flow_logs ?? [];
  const current = editing && editing !== 'new' ? logs.find((l) => l.id === editing) : undefined;
  const unavailable = load.error !== undefined && isUnavailable(load.error);
  return (
    <div className="stack">
      {created && (
        <div className="notice good" role="status">
          Flow log <strong>{created.name}</strong> ({created.id}) is {created.enabled ? 'collecting' : 'created, disabled'}. Its first records arrive after its first {created.window_seconds} s window:{' '}
          <Link href={searchHref(term('flow_log_id', created.id))}>see its records</Link>.
        </div>
      )}
      {(editing === 'new' || current) && !unavailable && (
        <Card title={current ? `Edit ${current.name}` : 'New flow log'} id="flowlog-form">
          <FlowLogForm
            key={current?.id ?? 'new'}
            initial={current ? draftOf(current) : EMPTY}
            id={current?.id}
            tree={inv.data}
            treeError={inv.error}
            onCancel={() => setEditing(undefined)}
            onDone={(l) => {
              if (!current) setCreated(l);
              setEditing(undefined);
              load.reload();
            }}
          />
        </Card>
      )}
      <Card
        title="Flow logs"
        id="flowlogs"
        actions={
          !unavailable &&
          editing !== 'new' && (
            <button type="button" className="btn primary" onClick={() => setParams({ edit: 'new' })}>
              Create flow log
            </button>
          )
        }
      >
        <Async load={load} what="Flow logs" isEmpty={(d) => d.flow_logs.length === 0} empty="No flow logs yet. Create one to record a VPC, a subnet or an interface.">
          {(d) => (
            <div className="table-wrap">
              <table aria-label="Flow logs">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Scope</th>
                    <th scope="col">Traffic</th>
                    <th scope="col" className="num">
                      Window
                    </th>
                    <th scope="col">Destinations</th>
                    <th scope="col">State</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {d.flow_logs.map((l) => (
                    <Row key={l.id} l={l} onChanged={load.reload} onEdit={() => setEditing(l.id)} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Async>
      </Card>
    </div>
  );
}
