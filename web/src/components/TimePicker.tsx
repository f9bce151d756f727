// The time range: presets with one click, or any from/to the API understands (-2h, ISO-8601,
// unix seconds) typed in.

import { useEffect, useState, type FormEvent } from 'react';
import { PRESETS, rangeLabel, useRange } from '../lib/range';

export function TimePicker() {
  const range = useRange();
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState(range.from);
  const [to, setTo] = useState(range.to);
  useEffect(() => {
    setFrom(range.from);
    setTo(range.to);
  }, [range.from, range.to]);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    range.set({ from: from.trim() || '-1h', to: to.trim() });
    setOpen(false);
  };
  return (
    <div className="timepicker">
      <div className="presets" role="group" aria-label="Time range">
        {PRESETS.map((p) => (
          <button key={p.from} type="button" className={`chip ${range.from === p.from && !range.to ? 'active' : ''}`} aria-pressed={range.from === p.from && !range.to} onClick={() => range.set({ from: p.from, to: '' })}>
            {p.label}
          </button>
        ))}
        <button type="button" className={`chip ${open ? 'active' : ''}`} aria-expanded={open} onClick={() => setOpen(!open)} title={rangeLabel(range)}>
          Custom…
        </button>
      </div>
      {open && (
        <form className="custom-range" onSubmit={apply}>
          <label>
            From <input value={from} onChange={(e) => setFrom(e.target.value)} placeholder="-1h or 2026-01-01T00:00:00Z" />
          </label>
          <label>
            To <input value={to} onChange={(e) => setTo(e.target.value)} placeholder="now" />
          </label>
          <button type="submit" className="btn small primary">
            Apply
          </button>
        </form>
      )}
    </div>
  );
}
