// Security: the alerts the detectors raised, each with its evidence flows and its lifecycle
// (acknowledge, resolve, reopen), and the status of the threat-intelligence lists.

import { useState } from 'react';
import { Card, Tabs } from '../components/Card';
import { KeyValues, RowsTable, rowsOf } from '../components/Generic';
import { Async, ErrorBox } from '../components/State';
import { Table } from '../components/Table';
import { api } from '../lib/api';
import { fmtAgo, fmtCount, fmtInt, fmtTime } from '../lib/format';
import { searchHref } from '../lib/links';
import { needs } from '../lib/schema';
import type { Alert, Row } from '../lib/types';
import { useApi } from '../lib/useApi';
import { Link, setParams, useParam } from '../lib/url';

type StatusTab = 'open' | 'acknowledged' | 'resolved' | 'all';
const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low'];
const FLOW_COLUMNS = ['start', 'interface_id', 'src_addr', 'src_port', 'dst_addr', 'dst_port', 'protocol', 'packets', 'bytes', 'action', 'rule_id'];

function AlertDetail(props: { id: string; onChanged: () => void }) {
  const load = useApi((signal) => api.get<Alert>(`/api/alerts/${encodeURIComponent(props.id)}`, undefined, signal), [props.id]);
  const flows = useApi((signal) => api.get<{ count: number; flows: Row[] }>(`/api/alerts/${encodeURIComponent(props.id)}/flows`, { limit: 200 }, signal), [props.id]);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const act = async (verb: 'ack' | 'resolve' | 'reopen') => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post(`/api/alerts/${encodeURIComponent(props.id)}/${verb}`, note.trim() ? { note: note.trim() } : {});
      setNote('');
      load.reload();
      props.onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Alert" id="alert-detail">
      <Async load={load} what="Alert">
        {(a) => (
          <div className="alert-detail">
            <h3>
              <span className={`sev sev-${a.severity}`}>{a.severity}</span> {a.title}
            </h3>
            <p>
              Status: <strong data-testid="alert-status">{a.status}</strong>
              {a.acknowledged_by && a.status !== 'open' && <span className="muted"> · acknowledged by {a.acknowledged_by} {fmtAgo(a.acknowledged_at)}</span>}
              {a.resolved_by && a.status === 'resolved' && <span className="muted"> · resolved by {a.resolved_by} {fmtAgo(a.resolved_at)}</span>}
            </p>
            {a.note && <p className="muted">Note: {a.note}</p>}
            <div className="row wrap">
              <label className="grow">
                Note <input value={note} onChange={(e) => setNote(e.target.value)} placeholder="optional" />
              </label>
              {a.status === 'open' && (
                <button type="button" className="btn primary" disabled={busy} onClick={() => act('ack')}>
                  Acknowledge
                </button>
              )}
              {a.status !== 'resolved' && (
                <button type="button" className="btn" disabled={busy} onClick={() => act('resolve')}>
                  Resolve
                </button>
              )}
              {a.status !== 'open' && (
                <button type="button" className="btn" disabled={busy} onClick={() => act('reopen')}>
                  Reopen
                </button>
              )}
            </div>
            {error !== undefined && <ErrorBox error={error} />}
            <KeyValues
              label="Alert facts"
              data={{
                rule: a.rule,
                detector: a.detector,
                first_seen: fmtTime(a.first_seen),
                last_seen: fmtTime(a.last_seen),
                windows: a.windows,
                flows: fmtInt(a.flows),
                addresses: a.entities.addresses.join(', '),
                interfaces: a.entities.interfaces.join(', '),
                ports: a.entities.ports.join(', '),
                ...Object.fromEntries(Object.entries(a.metrics).map(([k, v]) => [k, fmtCount(v)])),
              }}
            />
            <h3>
              Evidence flows <Link href={searchHref(a.evidence.query, a.evidence)}>open in search</Link>
            </h3>
            <Async load={flows} what="Evidence flows" isEmpty={(d) => d.flows.length === 0} empty="The evidence flows are no longer stored.">
              {(d) => <RowsTable label="Evidence flows" scroll rows={d.flows.slice(0, 50).map((f) => Object.fromEntries(FLOW_COLUMNS.map((c) => [c, f[c]])))} />}
            </Async>
          </div>
        )}
      </Async>
    </Card>
  );
}

function IntelLists() {
  const load = useApi(async (signal) => {
    await needs('GET /api/intel/lists');
    return api.get<unknown>('/api/intel/lists', undefined, signal);
  }, []);
  return (
    <Card title="Threat-intelligence lists" id="intel">
      <Async load={load} what="Threat-intelligence status" isEmpty={(d) => rowsOf(d, 'lists').length === 0} empty="No threat-intelligence lists are configured.">
        {(d) => <RowsTable rows={rowsOf(d, 'lists')} label="Threat-intelligence lists" />}
      </Async>
    </Card>
  );
}

export default function Security() {
  const [status, setStatus] = useParam('status', 'open');
  const [selected] = useParam('alert');
  const tab = (['open', 'acknowledged', 'resolved', 'all'].includes(status) ? status : 'open') as StatusTab;
  const load = useApi(async (signal) => {
      await needs('GET /api/alerts');
      return api.get<{ count: number; alerts: Alert[] }>('/api/alerts', { status: tab === 'all' ? undefined : tab, limit: 500 }, signal);
    }, [tab], { refreshMs: 15_000 });
  return (
    <div className="grid wide-left">
      <Card title="Alerts" id="alerts" actions={<Tabs<StatusTab> label="Alert status" value={tab} onChange={(v) => setStatus(v)} options={['open', 'acknowledged', 'resolved', 'all'].map((v) => ({ value: v as StatusTab, label: v }))} />}>
        <Async load={load} what="Alerts" isEmpty={(d) => d.alerts.length === 0} empty={`No ${tab === 'all' ? '' : tab + ' '}alerts.`}>
          {(d) => (
            <Table<Alert>
              label="Alerts"
              wrapFirst
              rows={[...d.alerts].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || b.last_seen - a.last_seen)}
              rowKey={(a) => a.id}
              selected={(a) => a.id === selected}
              onSelect={(a) => setParams({ alert: a.id })}
              columns={[
                { key: 'title', label: 'Alert' },
                { key: 'severity', label: 'Severity', render: (a) => <span className={`sev sev-${a.severity}`}>{a.severity}</span> },
                { key: 'status', label: 'Status' },
                { key: 'last_seen', label: 'Last seen', render: (a) => fmtAgo(a.last_seen) },
                { key: 'flows', label: 'Flows', numeric: true, render: (a) => fmtCount(a.flows) },
              ]}
            />
          )}
        </Async>
      </Card>
      <div className="stack">
        {selected ? <AlertDetail id={selected} onChanged={load.reload} /> : <Card title="Alert">Pick an alert to see its evidence and act on it.</Card>}
        <IntelLists />
      </div>
    </div>
  );
}
