import type { ReactNode } from 'react';

export function Card(props: { title: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; id?: string }) {
  return (
    <section className={`card ${props.className ?? ''}`} aria-labelledby={props.id ? `${props.id}-title` : undefined} id={props.id}>
      <header className="card-head">
        <h2 id={props.id ? `${props.id}-title` : undefined}>{props.title}</h2>
        {props.actions && <div className="card-actions">{props.actions}</div>}
      </header>
      <div className="card-body">{props.children}</div>
    </section>
  );
}

export function Stat(props: { label: string; value: ReactNode; hint?: ReactNode; tone?: 'bad' | 'good' }) {
  return (
    <div className={`stat ${props.tone ?? ''}`}>
      <div className="stat-value">{props.value}</div>
      <div className="stat-label">{props.label}</div>
      {props.hint && <div className="stat-hint">{props.hint}</div>}
    </div>
  );
}

export function Tabs<T extends string>(props: { value: T; options: { value: T; label: string }[]; onChange: (v: T) => void; label: string }) {
  return (
    <div className="tabs" role="tablist" aria-label={props.label}>
      {props.options.map((o) => (
        <button
          key={o.value}
          type="button"
          role="tab"
          aria-selected={props.value === o.value}
          className={props.value === o.value ? 'tab active' : 'tab'}
          onClick={() => props.onChange(o.value)}
          onKeyDown={(e) => {
            const i = props.options.findIndex((x) => x.value === props.value);
            if (e.key === 'ArrowRight') props.onChange(props.options[(i + 1) % props.options.length].value);
            if (e.key === 'ArrowLeft') props.onChange(props.options[(i - 1 + props.options.length) % props.options.length].value);
          }}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}
