// How numbers, sizes, rates, times and protocols read on screen.

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 2: 'IGMP', 6: 'TCP', 17: 'UDP', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6', 89: 'OSPF', 132: 'SCTP' };

export function protocolName(p: unknown): string {
  const n = Number(p);
  return PROTOCOLS[n] ?? String(p);
}

function scaled(v: number, units: string[], step: number): string {
  if (!Number.isFinite(v)) return '–';
  let i = 0;
  let x = Math.abs(v);
  while (x >= step && i < units.length - 1) {
    x /= step;
    i++;
  }
  const digits = x >= 100 || i === 0 ? 0 : x >= 10 ? 1 : 2;
  return `${v < 0 ? '-' : ''}${x.toFixed(digits)} ${units[i]}`;
}

export const fmtBytes = (v: unknown) => scaled(Number(v), ['B', 'kB', 'MB', 'GB', 'TB', 'PB'], 1000);
export const fmtBps = (v: unknown) => scaled(Number(v), ['b/s', 'kb/s', 'Mb/s', 'Gb/s', 'Tb/s'], 1000);
export const fmtCount = (v: unknown) => {
  const n = Number(v);
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) < 10_000) return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return scaled(n, ['', 'k', 'M', 'G', 'T'], 1000).trim();
};
export const fmtInt = (v: unknown) => (Number.isFinite(Number(v)) ? Number(v).toLocaleString('en-US', { maximumFractionDigits: 0 }) : '–');

/** Unix seconds as local date and time (ISO-like, sortable). */
export function fmtTime(unixSeconds: unknown): string {
  const n = Number(unixSeconds);
  if (!Number.isFinite(n) || n <= 0) return '–';
  const d = new Date(n * 1000);
  const pad = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtAgo(iso: string | number | undefined): string {
  if (iso === undefined) return '–';
  const t = typeof iso === 'number' ? iso * 1000 : Date.parse(iso);
  if (!Number.isFinite(t)) return '–';
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 60) return `${Math.max(0, s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** One cell of a flow record as text. */
export function fmtCell(field: string, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (field === 'protocol') return protocolName(v);
  if (field === 'start' || field === 'end') return fmtTime(v);
  if ((field === 'first_ms' || field === 'last_ms') && Number(v) > 0) return fmtTime(Number(v) / 1000);
  if (field.endsWith('_mac') && typeof v === 'number') return fmtMac(v);
  return String(v);
}

/** A MAC address from its 48-bit value. */
export function fmtMac(v: number): string {
  if (!v) return '';
  return v.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
}
