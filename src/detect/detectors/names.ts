// Protocol numbers as people say them, for alert titles.

const NAMES: Record<number, string> = { 1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'icmpv6', 89: 'ospf', 132: 'sctp' };

export function protocolText(p: number): string {
  return NAMES[p] ?? `protocol ${p}`;
}

/** A span of seconds in the largest whole unit that fits: '7 days', '3 hours', '90 s'. */
export function spanText(s: number): string {
  const unit = (n: number, name: string) => `${n} ${name}${n === 1 ? '' : 's'}`;
  if (s >= 86400 && s % 86400 === 0) return unit(s / 86400, 'day');
  if (s >= 3600 && s % 3600 === 0) return unit(s / 3600, 'hour');
  if (s >= 60 && s % 60 === 0) return unit(s / 60, 'minute');
  return `${s} s`;
}
