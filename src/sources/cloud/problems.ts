// Bad input never stops an import: each bad line is counted by reason and the first few are
// kept with their line number, so the user sees where to look and how much was lost.

export interface Problem {
  /** 1-based line in the input, or 0 when the input has no lines (a Parquet row group…). */
  line: number;
  /** Where inside the line or document, when a line holds many records (a JSON path). */
  where?: string;
  reason: string;
}

export class ParseProblems {
  readonly byReason = new Map<string, number>();
  readonly first: Problem[] = [];
  total = 0;

  constructor(private readonly keep = 20) {}

  /** Counts one bad line (or record) under `reason`; `detail` only goes into kept messages. */
  add(line: number, reason: string, detail?: string, where?: string): void {
    this.total++;
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
    if (this.first.length < this.keep) this.first.push({ line, where, reason: detail ? `${reason}: ${detail}` : reason });
  }

  /** Adds another tally into this one (per-file tallies into an import's total). */
  merge(o: ParseProblems): void {
    this.total += o.total;
    for (const [r, n] of o.byReason) this.byReason.set(r, (this.byReason.get(r) ?? 0) + n);
    for (const p of o.first) if (this.first.length < this.keep) this.first.push(p);
  }

  /** `name:line: reason` (or `name:where: reason`). */
  static format(name: string, p: Problem): string {
    const at = p.where ? (p.line ? `${p.line}:${p.where}` : p.where) : String(p.line);
    return `${name}:${at}: ${p.reason}`;
  }
}
