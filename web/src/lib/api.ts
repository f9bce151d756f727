// Talking to the flowlogs HTTP API: JSON in and out, errors as ApiError with the server's
// message, and the token flow: a 401 asks the person for an API token (once, however many
// requests were refused), keeps it in this browser and retries with `Authorization: Bearer`.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/** The server does not have this feature (route missing, or the component not running). */
export function isUnavailable(e: unknown): boolean {
  if (!(e instanceof ApiError)) return false;
  return (e.status === 404 && /^no route /.test(e.message)) || e.status === 501 || e.status === 503;
}

const TOKEN_KEY = 'flowlogs.token';

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(t: string | null): void {
  try {
    if (t) localStorage.setItem(TOKEN_KEY, t);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Private windows may refuse storage; the token then lasts until the tab closes.
  }
  memoryToken = t;
}

let memoryToken: string | null = null;

export interface TokenRequest {
  reason: string;
}

let current: { request: TokenRequest; promise: Promise<string | null>; resolve: (t: string | null) => void } | undefined;
const promptListeners = new Set<() => void>();

export function subscribeTokenRequests(l: () => void): () => void {
  promptListeners.add(l);
  return () => promptListeners.delete(l);
}

export function pendingTokenRequest(): TokenRequest | undefined {
  return current?.request;
}

function askForToken(reason: string): Promise<string | null> {
  if (current) return current.promise;
  let resolve!: (t: string | null) => void;
  const promise = new Promise<string | null>((r) => (resolve = r));
  current = { request: { reason }, promise, resolve };
  for (const l of promptListeners) l();
  return promise;
}

/** The person's answer to the token prompt (null: cancelled). */
export function answerTokenRequest(token: string | null): void {
  const c = current;
  current = undefined;
  if (token) setToken(token.trim());
  for (const l of promptListeners) l();
  c?.resolve(token ? token.trim() : null);
}

type Params = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  params?: Params;
  body?: unknown;
  signal?: AbortSignal;
  /** Return the body as text (metrics, CSV). */
  text?: boolean;
}

export function urlOf(path: string, params?: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  let refused = false;
  for (;;) {
    const headers: Record<string, string> = { accept: opts.text ? '*/*' : 'application/json' };
    const token = memoryToken ?? getToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(urlOf(path, opts.params), { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal });
    if (res.status === 401) {
      const sent = token;
      const answer = await askForToken(refused || sent ? 'The server did not accept that token. Enter a valid API token.' : 'This server needs an API token.');
      if (!answer) throw new ApiError(401, 'an API token is needed to use this server');
      refused = true;
      continue;
    }
    const text = await res.text();
    const isJson = (res.headers.get('content-type') ?? '').includes('json');
    let body: unknown = text;
    if (isJson && text) {
      try {
        body = JSON.parse(text);
      } catch {
        throw new ApiError(res.status, `the server sent a response that is not JSON (${text.slice(0, 80)})`);
      }
    }
    if (!res.ok) {
      const msg = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : `${res.status} ${res.statusText}`;
      throw new ApiError(res.status, msg, body);
    }
    return (opts.text ? text : body) as T;
  }
}

export const api = {
  get: <T>(path: string, params?: Params, signal?: AbortSignal) => request<T>('GET', path, { params, signal }),
  text: (path: string, params?: Params, signal?: AbortSignal) => request<string>('GET', path, { params, signal, text: true }),
  post: <T>(path: string, body?: unknown, signal?: AbortSignal) => request<T>('POST', path, { body: body ?? {}, signal }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  del: <T>(path: string) => request<T>('DELETE', path),
};
