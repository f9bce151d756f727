// Loading data for a view: the latest answer, whether a newer one is on its way, and the error
// if the last attempt failed. Earlier data stays on screen while a reload runs, and answers to
// superseded requests are dropped.

import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  /** The data answers the current inputs (not those of an earlier view still on screen). */
  fresh: boolean;
  reload(): void;
}

export function useApi<T>(load: ((signal: AbortSignal) => Promise<T>) | null, deps: unknown[], opts: { refreshMs?: number } = {}): Loaded<T> {
  const key = JSON.stringify(deps);
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean; key?: string }>({ loading: load !== null });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    const fn = loadRef.current;
    if (!fn) {
      setState({ loading: false });
      return;
    }
    const ac = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    fn(ac.signal).then(
      (data) => {
        if (!ac.signal.aborted) setState({ data, loading: false, key });
      },
      (error: unknown) => {
        if (!ac.signal.aborted) setState((s) => ({ data: s.data, error, loading: false, key: s.key }));
      },
    );
    return () => ac.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);

  useEffect(() => {
    if (!opts.refreshMs) return;
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') setTick((x) => x + 1);
    }, opts.refreshMs);
    return () => clearInterval(t);
  }, [opts.refreshMs]);

  return { data: state.data, error: state.error, loading: state.loading, fresh: state.key === key, reload };
}
