// Navigation and shareable state: the path picks the page and the query parameters hold what
// the page shows (time range, query, tab, selection), so a copied link opens the same view.

import { createElement, useMemo, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

const listeners = new Set<() => void>();
const emit = () => {
  for (const l of listeners) l();
};
window.addEventListener('popstate', emit);

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

const snapshot = () => window.location.pathname + window.location.search;

export interface Location {
  path: string;
  params: URLSearchParams;
}

export function useLocation(): Location {
  const s = useSyncExternalStore(subscribe, snapshot);
  return useMemo(() => {
    const u = new URL(s, window.location.origin);
    return { path: u.pathname, params: u.searchParams };
  }, [s]);
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  emit();
}

type ParamValue = string | number | undefined | null;

/** The URL with some parameters changed (empty values removed). */
export function withParams(changes: Record<string, ParamValue>, path = window.location.pathname, base = window.location.search): string {
  const p = new URLSearchParams(base);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === '') p.delete(k);
    else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

export function setParams(changes: Record<string, ParamValue>, opts: { replace?: boolean } = {}): void {
  navigate(withParams(changes), opts);
}

/** One URL parameter as state; typing-heavy inputs should pass replace so Back stays useful. */
export function useParam(name: string, fallback = ''): [string, (v: ParamValue, opts?: { replace?: boolean }) => void] {
  const { params } = useLocation();
  const value = params.get(name) ?? fallback;
  return [value, (v, opts) => setParams({ [name]: v === fallback ? undefined : v }, opts)];
}

/** Parameters that follow the user from page to page. */
export const GLOBAL_PARAMS = ['from', 'to'];

/** A link to another page that keeps the global parameters (the time range). */
export function pageHref(path: string, params: Record<string, ParamValue> = {}): string {
  const cur = new URLSearchParams(window.location.search);
  const keep: Record<string, ParamValue> = {};
  for (const k of GLOBAL_PARAMS) if (cur.has(k)) keep[k] = cur.get(k);
  return withParams({ ...keep, ...params }, path, '');
}

export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children?: ReactNode }) {
  const { onClick, ...rest } = props;
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
    window.scrollTo(0, 0);
  };
  return createElement('a', { ...rest, onClick: click });
}
