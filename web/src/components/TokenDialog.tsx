// Asks for an API token when the server refuses a request without one.

import { useEffect, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import { answerTokenRequest, pendingTokenRequest, subscribeTokenRequests } from '../lib/api';

export function TokenDialog() {
  const req = useSyncExternalStore(subscribeTokenRequests, pendingTokenRequest);
  const [value, setValue] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (req) input.current?.focus();
  }, [req]);
  if (!req) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!value.trim()) return;
    answerTokenRequest(value);
    setValue('');
  };
  return (
    <div className="modal-backdrop">
      <form className="modal" role="dialog" aria-modal="true" aria-labelledby="token-title" onSubmit={submit} onKeyDown={(e) => e.key === 'Escape' && answerTokenRequest(null)}>
        <h2 id="token-title">API token needed</h2>
        <p>{req.reason}</p>
        <p className="muted">
          Create one on the server with <code>flowlogs token create --name NAME</code>. It is kept in this browser and sent as <code>Authorization: Bearer</code>.
        </p>
        <label className="field">
          Token
          <input ref={input} type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} name="token" />
        </label>
        <div className="row end">
          <button type="button" className="btn" onClick={() => answerTokenRequest(null)}>
            Cancel
          </button>
          <button type="submit" className="btn primary">
            Use token
          </button>
        </div>
      </form>
    </div>
  );
}
