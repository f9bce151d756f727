// flowlogs diagnose: why A can or cannot reach B. The inventory's security groups and network
// ACLs hop by hop, the deciding rule at each, the smallest change that would allow the
// connection (or block it, with --deny), and what the flow records in the range show.

import { diagnose, type Diagnosis, type HopReport } from '../analyze/reachability/diagnose.js';
import { InputError } from '../util/errors.js';
import { bool, int, oneOf, parseFlags, str, type Io, type Verb } from './args.js';
import { COMMON_FLAGS, COMMON_USAGE, fmtTime, openAnswerEnv } from './answers.js';
import { renderTable } from './table.js';

function verdict(h: HopReport): string {
  if (!h.applies) return '-';
  if (h.action === null) return h.tracked ? '(request refused)' : '-';
  return `${h.action}${h.reached ? '' : ' (not reached)'}`;
}

function ruleText(h: HopReport): string {
  if (!h.applies) return h.interface_id ? 'not on the path (same subnet)' : 'outside the inventory';
  if (h.tracked && h.action === 'ACCEPT') return `connection tracking (${h.rule?.text ?? h.rule_id})`;
  return h.rule ? `${h.rule.rule === 'default-deny' ? '' : `${h.rule.rule}: `}${h.rule.text}` : '';
}

export function diagnosisText(d: Diagnosis): string {
  const out: string[] = [d.summary, ''];
  out.push(renderTable(['hop', 'interface', 'port', 'verdict', 'by', 'rule'], d.hops.map((h) => [h.hop, h.interface_id ?? '', h.port, verdict(h), h.applies ? (h.id ?? '') : '', ruleText(h)])));
  const o = d.observed;
  if (o) {
    const leg = (n: string, c: typeof o.request) => `${n} ${c.accept} accepted, ${c.reject} rejected${c.last_seen ? `, last ${fmtTime(c.last_seen)}` : ''}`;
    out.push(`observed ${fmtTime(o.from)} to ${fmtTime(o.to)}: ${leg('request', o.request)}; ${leg('reply', o.reply)}`);
    if (o.records.length) out.push(renderTable(['interface', 'direction', 'leg', 'action', 'rule_id', 'flows', 'last seen', 'expected'], o.records.map((r) => [r.interface_id, r.direction, r.leg, r.action, r.rule_id, r.flows, fmtTime(r.last_seen), r.agrees ? r.expected : `${r.expected} (disagrees)`])).trimEnd());
    out.push(o.explanation, '');
  }
  const f = d.fix;
  out.push(`to ${f.goal === 'allow' ? 'allow' : 'block'} it:${f.needed ? '' : ` ${f.note}`}`);
  for (const c of f.changes) {
    out.push(`  ${c.text}   (touches ${c.interfaces} interface${c.interfaces === 1 ? '' : 's'})`);
    if (c.alternative) out.push(`    or ${c.alternative}`);
  }
  if (f.needed) out.push(`  ${f.note}`);
  return out.join('\n') + '\n';
}

export const diagnoseVerb: Verb = {
  name: 'diagnose',
  summary: 'why A can or cannot reach B: hop-by-hop verdicts, deciding rules, observed flows, the fix',
  usage: `flowlogs diagnose --src A --dst B --port P [--protocol tcp] [--src-port N] [--deny]
${COMMON_USAGE}

  A and B are ENI ids, instance ids or IP addresses (one may be outside the inventory, e.g. an
  internet client). The connection is walked through the source's security groups and subnet
  ACL, the destination's ACL and groups, and the reply back through both ACLs (the reply goes
  to --src-port, default 49152). For ICMP, --port is the type (8: echo request).
  Shows each hop's verdict and deciding rule, the records between A and B in --from/--to
  (default the last hour) and whether they agree, and the smallest rule change that would allow
  the connection (or, with --deny, block it). --format json: reachable, blocked_by, hops, fix,
  observed. Exit status 0 whatever the verdict.`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseFlags('diagnose', argv, { ...COMMON_FLAGS, src: { type: 'string' }, dst: { type: 'string' }, port: { type: 'string' }, protocol: { type: 'string' }, 'src-port': { type: 'string' }, deny: { type: 'boolean' } }, false);
    const src = str(p, 'src');
    const dst = str(p, 'dst');
    if (!src || !dst) throw new InputError('flowlogs diagnose: --src and --dst are required (ENI id, instance id or IP address)');
    const port = int(p, 'port', 'diagnose', 0, 65535);
    if (port === undefined) throw new InputError('flowlogs diagnose: --port is required (for ICMP, the type: 8 for echo request)');
    const format = oneOf(p, 'format', 'diagnose', ['table', 'json'] as const, 'table');
    const env = await openAnswerEnv(p, 'diagnose', { needInventory: true, needStore: false });
    try {
      const d = await diagnose(env.inventory!, { src, dst, port, protocol: str(p, 'protocol'), srcPort: int(p, 'src-port', 'diagnose', 0, 65535), deny: bool(p, 'deny') }, env.store ? env.input : undefined);
      if (format === 'json') io.out.write(JSON.stringify(d, null, 2) + '\n');
      else {
        io.out.write(diagnosisText(d));
        if (d.observed) io.err.write(`evidence: flowlogs query '${d.observed.evidence.query}' --from ${d.observed.evidence.from} --to ${d.observed.evidence.to}\n`);
      }
    } finally {
      await env.close();
    }
    return 0;
  },
};
