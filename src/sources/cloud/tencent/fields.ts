// Tencent Cloud flow-log fields. ENI records use AWS's v2 order (but `V1` versions, `-1`
// placeholders and ICMP type/code in the ports); cross-region CCN records have their own
// order, and their REJECT is a bandwidth-limit drop rather than a security-group decision.

import { K, makeLayout, normaliseName, type FieldInfo, type Kind, type Layout } from '../field-kinds.js';

const F = (kind: Kind): FieldInfo => ({ kind, version: 0 });

export const TENCENT_FIELDS: ReadonlyMap<string, FieldInfo> = new Map<string, FieldInfo>([
  ['version', F(K.version)],
  ['account-id', F(K.account)],
  ['interface-id', F(K.iface)],
  ['srcaddr', F(K.srcAddr)],
  ['dstaddr', F(K.dstAddr)],
  ['srcport', F(K.srcPort)],
  ['dstport', F(K.dstPort)],
  ['protocol', F(K.protocol)],
  ['packets', F(K.packets)],
  ['bytes', F(K.bytes)],
  ['start', F(K.start)],
  ['end', F(K.end)],
  ['action', F(K.action)],
  ['log-status', F(K.logStatus)],
  ['ccnid', F(K.iface)],
  ['ccn-id', F(K.iface)],
  ['region-id', F(K.skip)],
  ['srcregionid', F(K.skip)],
  ['dstregionid', F(K.skip)],
]);

export const TENCENT_ENI_FIELDS = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'.split(' ');

export const TENCENT_CCN_FIELDS = 'srcaddr dstregionid dstport start dstaddr version packets ccnid protocol srcregionid bytes action region-id srcport end log-status'.split(' ');

/** Whether a field list is a CCN one (it names the CCN instance). */
export function isCcnList(names: readonly string[]): boolean {
  return names.some((n) => {
    const x = normaliseName(n);
    return x === 'ccnid' || x === 'ccn-id';
  });
}

export function tencentLayout(names: readonly string[]): Layout {
  const ccn = isCcnList(names);
  // ENI start/end are the capture window; CCN start/end are the first and last packet.
  return makeLayout(names, TENCENT_FIELDS, { packetTimes: ccn, rejectIsRateLimit: ccn });
}

const eni = tencentLayout(TENCENT_ENI_FIELDS);
const ccn = tencentLayout(TENCENT_CCN_FIELDS);

/** The layout of a headerless Tencent line, or undefined. */
export function tencentHeaderless(count: number, token: (i: number) => string): Layout | undefined {
  if (count === TENCENT_ENI_FIELDS.length) return eni;
  if (count === TENCENT_CCN_FIELDS.length && token(7).startsWith('ccn-')) return ccn;
  return undefined;
}
