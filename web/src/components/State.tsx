// The states every view can be in besides showing data: loading, empty, failed, or not
// offered by this server. Each says what is going on and, where it can, what to do.

import type { ReactNode } from 'react';
import { ApiError, isUnavailable } from '../lib/api';
import type { Loaded } from '../lib/useApi';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-busy="true">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <div className="state state-empty" role="status">
      {children}
    </div>
  );
}

export function Unavailable({ what }: { what: string }) {
  return (
    <div className="state state-unavailable" role="status" data-state="unavailable">
      <strong>{what}: not available on this server.</strong> This server does not offer it (yet); the rest of the console works without it.
    </div>
  );
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  const msg = error instanceof Error ? error.message : String(error);
  const status = error instanceof ApiError ? ` (HTTP ${error.status})` : '';
  return (
    <div className="state state-error" role="alert">
      <span>
        <strong>Failed{status}:</strong> {msg}
      </span>
      {retry && (
        <button type="button" className="btn small" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

/**
 * Renders `children(data)` once data is there; the other states otherwise. `isEmpty` decides
 * when data is there but has nothing to show.
 */
export function Async<T>(props: { load: Loaded<T>; what: string; isEmpty?: (d: T) => boolean; empty?: ReactNode; children: (d: T) => ReactNode }) {
  const { load } = props;
  if (load.error !== undefined && load.data === undefined) {
    if (isUnavailable(load.error)) return <Unavailable what={props.what} />;
    // The feature is there but has nothing to show (no inventory loaded, an id gone).
    if (load.error instanceof ApiError && load.error.status === 404) return <Empty>{load.error.message}</Empty>;
    return <ErrorBox error={load.error} retry={load.reload} />;
  }
  if (load.data === undefined) return <Loading label={`Loading ${props.what.toLowerCase()}…`} />;
  if (props.isEmpty?.(load.data)) return <Empty>{props.empty ?? `No ${props.what.toLowerCase()} in this time range.`}</Empty>;
  return (
    <div className="async" aria-busy={load.loading ? 'true' : 'false'}>
      {load.error !== undefined && <ErrorBox error={load.error} retry={load.reload} />}
      {props.children(load.data)}
    </div>
  );
}
