// Evidence queries: the filter, in our query language, that lists the flows behind a finding.
// Values are written so the parser reads them back exactly: strings always quoted (with \" and
// \\ escaped), addresses and numbers bare.

export type Term = string;

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `field:value` for a text field. */
export function textTerm(field: string, value: string): Term {
  return `${field}:${quote(value)}`;
}

/** `field:value` for an address (IPv4, IPv6) or CIDR block. */
export function addrTerm(field: 'src_addr' | 'dst_addr' | 'exporter', addr: string): Term {
  return `${field}:${addr}`;
}

/** Either side of the flow is the address. */
export function eitherAddr(addr: string): Term {
  return `(src_addr:${addr} OR dst_addr:${addr})`;
}

export function numTerm(field: string, value: number): Term {
  return `${field}:${value}`;
}

export function enumTerm(field: 'action' | 'direction' | 'log_status', value: string): Term {
  return `${field}:${value}`;
}

export function and(...terms: Term[]): Term {
  return terms.filter((t) => t !== '').join(' AND ');
}

export function or(...terms: Term[]): Term {
  const t = terms.filter((x) => x !== '');
  return t.length > 1 ? `(${t.join(' OR ')})` : (t[0] ?? '');
}
