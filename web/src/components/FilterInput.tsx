// A filter in the query language for analyses, applied on Enter or with the button.

import { useEffect, useState } from 'react';

export function FilterInput(props: { value: string; onApply: (v: string) => void; label?: string }) {
  const [draft, setDraft] = useState(props.value);
  useEffect(() => setDraft(props.value), [props.value]);
  return (
    <form
      className="filter-input"
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply(draft.trim());
      }}
    >
      <label>
        {props.label ?? 'Filter'}
        <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="e.g. action:REJECT or vpc_id:vpc-…" spellCheck={false} />
      </label>
      <button type="submit" className="btn small">
        Apply
      </button>
    </form>
  );
}
