// The query bar: the query language with field and value completion (from the schema), the
// spot of a syntax error marked, and a syntax reference one click away.

import { useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { complete, type Completion } from '../lib/complete';
import type { SchemaResult } from '../lib/types';

const EXAMPLES: Array<[string, string]> = [
  ['src_addr:10.0.0.0/16', 'a CIDR block on one side'],
  ['10.0.1.5', 'an address on either side'],
  ['dst_port:(22 OR 3389) action:REJECT', 'value groups; juxtaposition is AND'],
  ['bytes:>1000000', 'comparisons: > >= < <='],
  ['dst_port:[1024 TO 65535]', 'ranges, bounds included'],
  ['interface_id:eni-0*', 'wildcards on text'],
  ['NOT protocol:icmp', 'negation: NOT, - or !'],
  ['action:REJECT | SELECT src_addr, count(*) AS flows GROUP BY src_addr ORDER BY flows DESC LIMIT 10', 'a SQL part over the filtered flows'],
];

export function QueryBar(props: { value: string; onChange: (v: string) => void; onSubmit: (v: string) => void; schema?: SchemaResult; errorAt?: number; busy?: boolean }) {
  const input = useRef<HTMLTextAreaElement>(null);
  const [completion, setCompletion] = useState<Completion>();
  const [active, setActive] = useState(0);
  const [help, setHelp] = useState(false);
  const listId = useId();
  // Where the caret goes once an accepted suggestion is in the text.
  const caretAfter = useRef<number | null>(null);
  useLayoutEffect(() => {
    const c = caretAfter.current;
    if (c === null || !input.current) return;
    caretAfter.current = null;
    input.current.setSelectionRange(c, c);
  }, [props.value]);

  useEffect(() => {
    if (props.errorAt === undefined || !input.current) return;
    input.current.focus();
    input.current.setSelectionRange(props.errorAt, Math.min(props.value.length, props.errorAt + 1));
  }, [props.errorAt]);

  const refresh = (text: string, caret: number) => {
    const c = props.schema ? complete(text, caret, props.schema.fields, props.schema.protocols) : undefined;
    setCompletion(c);
    setActive(0);
  };

  const accept = (i: number) => {
    if (!completion) return;
    const s = completion.items[i];
    const text = props.value.slice(0, completion.start) + s.insert + props.value.slice(completion.end);
    const caret = completion.start + s.insert.length;
    caretAfter.current = caret;
    props.onChange(text);
    refresh(text, caret);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    const open = completion && completion.items.length > 0;
    if (open && e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((active + 1) % completion.items.length);
    } else if (open && e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((active - 1 + completion.items.length) % completion.items.length);
    } else if (open && (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey && !e.ctrlKey && !e.metaKey))) {
      e.preventDefault();
      accept(active);
    } else if (open && e.key === 'Escape') {
      e.preventDefault();
      setCompletion(undefined);
    } else if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      setCompletion(undefined);
      props.onSubmit(props.value);
    }
  };

  return (
    <div className="querybar">
      <div className="query-row">
        <div className="query-input">
          <textarea
            ref={input}
            rows={1}
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            aria-label="Query"
            role="combobox"
            aria-expanded={!!completion}
            aria-controls={listId}
            aria-autocomplete="list"
            aria-activedescendant={completion ? `${listId}-${active}` : undefined}
            placeholder="Filter flows, e.g. src_addr:10.0.0.0/16 AND dst_port:443   (empty: every flow)"
            value={props.value}
            onChange={(e) => {
              props.onChange(e.target.value);
              refresh(e.target.value, e.target.selectionStart);
            }}
            onKeyDown={onKeyDown}
            onBlur={() => setTimeout(() => setCompletion(undefined), 150)}
            onClick={(e) => refresh(props.value, e.currentTarget.selectionStart)}
          />
          {completion && (
            <ul className="completions" role="listbox" id={listId} aria-label="Suggestions">
              {completion.items.map((s, i) => (
                <li
                  key={s.insert}
                  id={`${listId}-${i}`}
                  role="option"
                  aria-selected={i === active}
                  className={i === active ? 'active' : undefined}
                  onMouseDown={(e) => {
                    e.preventDefault();
                    accept(i);
                  }}
                >
                  <code>{s.label}</code>
                  <span className="muted">{s.detail}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
        <button type="button" className="btn primary" onClick={() => props.onSubmit(props.value)} disabled={props.busy}>
          {props.busy ? 'Searching…' : 'Search'}
        </button>
        <button type="button" className="btn" aria-expanded={help} onClick={() => setHelp(!help)}>
          Syntax
        </button>
      </div>
      {help && (
        <div className="syntax-help">
          <p>
            <code>field:value</code> filters, combined with <code>AND</code> (or a space), <code>OR</code>, <code>NOT</code> and parentheses; then optionally <code>| SELECT …</code> over the flows kept. Click an example to use it.
          </p>
          <ul className="examples">
            {EXAMPLES.map(([q, what]) => (
              <li key={q}>
                <button type="button" className="linklike" onClick={() => props.onChange(q)}>
                  <code>{q}</code>
                </button>{' '}
                <span className="muted">{what}</span>
              </li>
            ))}
          </ul>
          {props.schema && (
            <details>
              <summary>Fields ({props.schema.fields.length})</summary>
              <dl className="fields">
                {props.schema.fields.map((f) => (
                  <div key={f.name}>
                    <dt>
                      <code>{f.name}</code> <span className="muted">{f.type}</span>
                    </dt>
                    <dd>
                      {f.description}
                      {f.values ? ` (${f.values.join(', ')})` : ''}
                    </dd>
                  </div>
                ))}
              </dl>
            </details>
          )}
        </div>
      )}
    </div>
  );
}
