// Which exporter protocol a datagram speaks, from its first bytes: exporters are often
// pointed at the wrong port, so the port is only a hint and the payload decides.

export type ExportProtocol = 'netflow5' | 'netflow9' | 'ipfix' | 'sflow5';

export function detectProtocol(d: Uint8Array): ExportProtocol | undefined {
  if (d.length < 4) return undefined;
  const v16 = (d[0] << 8) | d[1];
  if (v16 === 5 && d.length >= 24) return 'netflow5';
  if (v16 === 9 && d.length >= 20) return 'netflow9';
  // IPFIX carries its total length in bytes 2-3: insist it matches, since 0x000a is a
  // plausible start of other payloads.
  if (v16 === 10 && d.length >= 16 && ((d[2] << 8) | d[3]) <= d.length) return 'ipfix';
  const v32 = ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
  if (v32 === 5 && d.length >= 28) return 'sflow5';
  return undefined;
}
