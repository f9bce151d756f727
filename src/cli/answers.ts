// Answers as commands: flowlogs storms, hogs, policy hits|unused|broad|propose, baseline,
// capacity and regions. Each reads the store (and, where the configuration matters, the
// inventory) over --from/--to and prints a table, or the API's JSON with --format json; the
// evidence query goes to stderr, ready for flowlogs query.

import fs from 'node:fs';
import path from 'node:path';
import { capacity } from '../analyze/capacity.js';
import { hogs } from '../analyze/hogs.js';
import { policyBroad, policyHits, policyUnused, proposeLeastPrivilege, type HitsResult } from '../analyze/policy/policy-answers.js';
import { baselineProfiles, checkLevel, PROFILE_METRICS } from '../analyze/profiles.js';
import { REGION_LEVELS, regions } from '../analyze/regions.js';
import { storms } from '../analyze/storms.js';
import type { AnswerInput } from '../analyze/answer-query.js';
import type { Evidence } from '../analyze/analyses.js';
import { loadConfig, section } from '../config/load.js';
import { inventoryCandidates, inventoryConfig } from '../inventory/current-inventory.js';
import type { InventoryIndex } from '../inventory/inventory-index.js';
import { loadInventory } from '../inventory/load.js';
import { storeConfig } from '../store/config.js';
import { openStore } from '../store/open.js';
import type { FlowStore } from '../store/store.js';
import { InputError } from '../util/errors.js';
import { parseRange } from '../util/time.js';
import { int, list, num, oneOf, parseFlags, str, type Io, type Options, type Parsed, type Verb } from './args.js';
import { renderTable } from './table.js';

export const COMMON_FLAGS: Options = {
  from: { type: 'string' },
  to: { type: 'string' },
  format: { type: 'string' },
  data: { type: 'string' },
  store: { type: 'string' },
  config: { type: 'string', short: 'c' },
  inventory: { type: 'string' },
};

export const COMMON_USAGE = `  common: [--from T] [--to T] [--format table|json] [--data DIR | --store URL] [--config FILE]
          [--inventory FILE] (default: the data directory's imported inventory, then config inventory.file)`;

export interface AnswerEnv {
  store?: FlowStore;
  inventory?: InventoryIndex;
  input: AnswerInput;
  close(): Promise<void>;
}

/**
 * Opens what an answer reads. `needStore: false` lets an answer about the configuration alone
 * run without a data directory; `needInventory` makes a missing inventory an error.
 */
export async function openAnswerEnv(p: Parsed, verb: string, o: { needInventory: boolean; needStore: boolean }): Promise<AnswerEnv> {
  const loaded = loadConfig(str(p, 'config'));
  const cfg = { ...section(loaded, 'store', storeConfig) };
  if (str(p, 'data')) cfg.data = str(p, 'data')!;
  if (str(p, 'store')) cfg.url = str(p, 'store')!;
  const range = parseRange(str(p, 'from'), str(p, 'to'));
  let inventory: InventoryIndex | undefined;
  const invFile = str(p, 'inventory');
  if (invFile) inventory = loadInventory(invFile);
  else {
    const found = inventoryCandidates(path.resolve(cfg.data), section(loaded, 'inventory', inventoryConfig)).find((f) => fs.existsSync(f));
    if (found) inventory = loadInventory(found);
  }
  if (o.needInventory && !inventory) throw new InputError(`flowlogs ${verb}: no inventory: import one with 'flowlogs inventory import FILE... --data ${cfg.data}' or give --inventory FILE`);
  const haveStore = !!cfg.url || fs.existsSync(cfg.data);
  if (!haveStore && o.needStore) throw new InputError(`flowlogs ${verb}: data directory ${path.resolve(cfg.data)} does not exist (give --data DIR or --store URL)`);
  const store = haveStore ? openStore(cfg, 'reader') : undefined;
  if (store) await store.start();
  return {
    store,
    inventory,
    input: { store: store!, range },
    close: async () => {
      await store?.stop();
    },
  };
}

export function fmtTime(t: number | null | undefined): string {
  return t === null || t === undefined || t === 0 ? '' : new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

/** Bits (or packets, with another unit) per second with a metric prefix. */
export function fmtRate(v: number, unit = 'bit/s'): string {
  const a = Math.abs(v);
  const [d, p] = a >= 1e9 ? [1e9, 'G'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${(v / d).toFixed(d === 1 ? 0 : 1)} ${p}${unit}`;
}

function fmtBytes(v: number): string {
  const [d, p] = v >= 1e12 ? [1e12, 'TB'] : v >= 1e9 ? [1e9, 'GB'] : v >= 1e6 ? [1e6, 'MB'] : v >= 1e3 ? [1e3, 'kB'] : [1, 'B'];
  return `${(v / d).toFixed(d === 1 ? 0 : 1)} ${p}`;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '' : `${(v * 100).toFixed(1)}%`);

function evidenceLine(io: Io, e: Evidence | undefined): void {
  if (e) io.err.write(`evidence: flowlogs query '${e.query.replace(/'/g, "'\\''")}' --from ${e.from} --to ${e.to}\n`);
}

function print(io: Io, format: string, json: unknown, table: () => string, evidence?: Evidence): void {
  if (format === 'json') io.out.write(JSON.stringify(json, null, 2) + '\n');
  else {
    io.out.write(table());
    evidenceLine(io, evidence);
  }
}

function nothing(rows: readonly unknown[], table: string, what: string): string {
  return rows.length ? table : `(${what})\n`;
}

async function withEnv(p: Parsed, verb: string, o: { needInventory: boolean; needStore: boolean }, run: (env: AnswerEnv) => Promise<void>): Promise<number> {
  const env = await openAnswerEnv(p, verb, o);
  try {
    await run(env);
  } finally {
    await env.close();
  }
  return 0;
}

function noPositionals(p: Parsed, verb: string): void {
  if (p.positionals.length) throw new InputError(`flowlogs ${verb}: unexpected argument '${p.positionals[0]}'`);
}

export const stormsVerb: Verb = {
  name: 'storms',
  summary: 'broadcast and multicast storms: the interfaces behind them, their rates, subnet share, start and destinations',
  usage: `flowlogs storms [--min-pps N] [--bucket S] [--limit N]
${COMMON_USAGE}

  Lists the senders whose broadcast and multicast packets (to 224.0.0.0/4, ff00::/8,
  255.255.255.255, a subnet's broadcast address, or the broadcast MAC) reached --min-pps
  (default 1000) in some --bucket (default 60 s): peak and average rate, share of what their
  subnet sent, when it started and the destinations.`,
  async run(argv, io) {
    const p = parseFlags('storms', argv, { ...COMMON_FLAGS, 'min-pps': { type: 'string' }, bucket: { type: 'string' }, limit: { type: 'string' } });
    noPositionals(p, 'storms');
    const format = oneOf(p, 'format', 'storms', ['table', 'json'] as const, 'table');
    return withEnv(p, 'storms', { needInventory: false, needStore: true }, async (env) => {
      const r = await storms({ ...env.input, inventory: env.inventory }, { minPps: num(p, 'min-pps', 'storms'), bucket: int(p, 'bucket', 'storms', 1), limit: int(p, 'limit', 'storms', 1) });
      print(io, format, r, () =>
        nothing(
          r.sources,
          renderTable(
            ['interface', 'instance', 'subnet', 'source', 'peak pps', 'avg pps', 'subnet share', 'started', 'destinations'],
            r.sources.map((s) => [s.interface_id, s.instance_id, s.subnet_id, s.src_addr, Math.round(s.peak_pps), Math.round(s.avg_pps), pct(s.subnet_share), fmtTime(s.started), s.destinations.slice(0, 4).map((d) => `${d.dst_addr}:${d.dst_port} (${d.kind}, ${Math.round(d.avg_pps)} pps)`).join(', ')]),
          ),
          `no storm: nobody sent ${r.min_pps} broadcast or multicast packets a second in this range`,
        ), r.sources[0]?.evidence ?? r.evidence);
    });
  },
};

export const hogsVerb: Verb = {
  name: 'hogs',
  summary: 'interfaces over their bandwidth cap or far above their own history, since when, and to whom',
  usage: `flowlogs hogs [--min-mbps N] [--factor F] [--lookback-days D] [--bucket S] [--limit N]
${COMMON_USAGE}

  An interface is a hog in a --bucket (default 60 s) when it moves more than its bandwidth cap
  (bandwidth_mbps in the inventory) in one direction, or --factor (default 5) times what it
  usually does at that hour of the week, learned from the --lookback-days (default 7) before
  --from. Rates below --min-mbps (default 10) never count.`,
  async run(argv, io) {
    const p = parseFlags('hogs', argv, { ...COMMON_FLAGS, 'min-mbps': { type: 'string' }, factor: { type: 'string' }, 'lookback-days': { type: 'string' }, bucket: { type: 'string' }, limit: { type: 'string' } });
    noPositionals(p, 'hogs');
    const format = oneOf(p, 'format', 'hogs', ['table', 'json'] as const, 'table');
    return withEnv(p, 'hogs', { needInventory: false, needStore: true }, async (env) => {
      const mbps = num(p, 'min-mbps', 'hogs');
      const r = await hogs({ ...env.input, inventory: env.inventory }, { minBps: mbps === undefined ? undefined : mbps * 1e6, factor: num(p, 'factor', 'hogs'), lookbackDays: num(p, 'lookback-days', 'hogs'), bucket: int(p, 'bucket', 'hogs', 1), limit: int(p, 'limit', 'hogs', 1) });
      print(io, format, r, () =>
        nothing(
          r.hogs,
          renderTable(
            ['interface', 'instance', 'direction', 'why', 'peak', 'cap', 'utilisation', 'usual', 'started', 'ended', 'top peers'],
            r.hogs.map((h) => [h.interface_id, h.instance_id, h.direction, h.reasons.join('+'), fmtRate(h.peak_bps), h.bandwidth_mbps ? fmtRate(h.bandwidth_mbps * 1e6) : '', pct(h.utilisation), h.usual_bps === null ? '' : fmtRate(h.usual_bps), fmtTime(h.started), fmtTime(h.ended), h.peers.slice(0, 3).map((x) => `${x.addr}:${x.port} ${pct(x.share)}`).join(', ')]),
          ),
          'no interface over its cap or far above its history in this range',
        ), r.hogs[0]?.evidence ?? r.evidence);
    });
  },
};

const POLICY_KINDS = ['hits', 'unused', 'broad', 'propose'] as const;

function rulesTable(r: HitsResult): string {
  const head = `${r.flows} flows replayed through the inventory${r.unknown_interface_flows ? `, ${r.unknown_interface_flows} at interfaces it does not know` : ''}${r.disagreeing_flows ? `, ${r.disagreeing_flows} recorded with a verdict it would not give (changed rules?)` : ''}\n`;
  return head + nothing(r.rules, renderTable(['rule', 'direction', 'rule text', 'hits', 'recorded', 'peers', 'last hit', 'interfaces'], r.rules.map((u) => [u.rule_id, u.direction, u.text, u.hits, u.recorded, u.peers_capped ? `${u.peers}+` : u.peers, fmtTime(u.last_hit), u.interfaces])), 'no rules');
}

export const policyVerb: Verb = {
  name: 'policy',
  summary: 'security-policy optimisation: rule hit counts, unused and over-broad rules, least-privilege sets',
  usage: `flowlogs policy hits   [--id SG|ACL] [--vpc VPC] [--kind security_group|network_acl] [--limit N]
flowlogs policy unused [--id SG|ACL] [--vpc VPC] [--kind ...]
flowlogs policy broad  [--id SG] [--vpc VPC] [--max-peers N] [--min-addresses N]
flowlogs policy propose --group SG [--max-peers N] [--max-port-ranges N] [--check-from T --check-to T]
                        [--format table|json|aws|tencent]
${COMMON_USAGE}

  The range's traffic is replayed through the inventory's security groups and network ACLs:
  hits counts the flows each rule decided (security groups on requests; ACLs on requests and
  replies) and 'recorded' the flows whose rule_id names it; unused lists the rules that decided
  nothing; broad lists allow rules whose block or port range is far wider than the peers
  (--max-peers, default 16) and ports that used them, with the narrower rules they need;
  propose builds a least-privilege rule set for a group from the traffic it admitted, checks
  what it would have refused in --check-from/--check-to (default the same range), and with
  --format aws or tencent prints it as the cloud's JSON (describe-security-groups entry;
  ModifySecurityGroupPolicies input).`,
  async run(argv, io) {
    const [kind, ...rest] = argv;
    if (!(POLICY_KINDS as readonly string[]).includes(kind ?? '')) throw new InputError(`flowlogs policy: expected one of ${POLICY_KINDS.join(', ')}${kind ? `, got '${kind}'` : ''}`);
    const verb = `policy ${kind}`;
    const p = parseFlags(verb, rest, {
      ...COMMON_FLAGS,
      id: { type: 'string' },
      vpc: { type: 'string' },
      kind: { type: 'string' },
      group: { type: 'string' },
      limit: { type: 'string' },
      'max-peers': { type: 'string' },
      'max-port-ranges': { type: 'string' },
      'min-addresses': { type: 'string' },
      'check-from': { type: 'string' },
      'check-to': { type: 'string' },
    });
    noPositionals(p, verb);
    const format = oneOf(p, 'format', verb, kind === 'propose' ? (['table', 'json', 'aws', 'tencent'] as const) : (['table', 'json'] as const), 'table');
    const k = str(p, 'kind');
    if (k !== undefined && k !== 'security_group' && k !== 'network_acl') throw new InputError(`flowlogs ${verb}: --kind must be security_group or network_acl, got '${k}'`);
    const sel = { id: str(p, 'id'), vpc: str(p, 'vpc'), kind: k as 'security_group' | 'network_acl' | undefined };
    return withEnv(p, verb, { needInventory: true, needStore: true }, async (env) => {
      const input = { ...env.input, inventory: env.inventory! };
      if (kind === 'hits') {
        const r = await policyHits(input, sel, int(p, 'limit', verb, 1));
        print(io, format, r, () => rulesTable(r), r.evidence);
      } else if (kind === 'unused') {
        const r = await policyUnused(input, sel);
        print(io, format, r, () => rulesTable(r), r.evidence);
      } else if (kind === 'broad') {
        const r = await policyBroad(input, sel, { maxPeers: int(p, 'max-peers', verb, 1), minAddresses: int(p, 'min-addresses', verb, 1) });
        print(io, format, r, () =>
          nothing(
            r.rules,
            r.rules
              .map((b) => `${b.rule_id} (${b.direction}): ${b.text}\n  ${b.reason}; ${b.hits} flows\n  narrower:\n${b.narrower.map((n) => `    ${n.protocol}${n.ports === 'all' ? '' : ` ${n.ports}`} ${b.direction === 'ingress' ? 'from' : 'to'} ${n.peer}  (${n.flows} flows)`).join('\n')}\n  evidence: flowlogs query '${b.evidence.query}'\n`)
              .join('\n'),
            'no over-broad rule: every used rule is about as wide as its traffic',
          ), r.evidence);
      } else {
        const group = str(p, 'group');
        if (!group) throw new InputError(`flowlogs ${verb}: --group SG is required`);
        const cf = str(p, 'check-from');
        const ct = str(p, 'check-to');
        const r = await proposeLeastPrivilege(input, group, { maxPeers: int(p, 'max-peers', verb, 1), maxPortRanges: int(p, 'max-port-ranges', verb, 1), check: cf || ct ? parseRange(cf, ct) : undefined });
        if (format === 'aws' || format === 'tencent') {
          io.out.write(JSON.stringify(format === 'aws' ? r.aws : r.tencent, null, 2) + '\n');
          return;
        }
        print(io, format, r, () => {
          const lines = [`least privilege for ${r.group_id} (${r.group_name}, ${r.members} interfaces) from ${r.observed.flows} accepted flows (${r.observed.uses} distinct uses)${r.observed.truncated ? ', truncated' : ''}`];
          lines.push(renderTable(['id', 'direction', 'protocol', 'ports', 'peer', 'flows', 'peers', 'replaces'], r.rules.map((x) => [x.id, x.direction, x.protocol, x.ports, x.peer, x.flows, x.peers, x.replaces])));
          if (r.unused.length) lines.push(`left out (no traffic): ${r.unused.map((u) => `${u.rule} (${u.direction}: ${u.text})`).join('; ')}`);
          lines.push(`would have refused from ${fmtTime(r.check.from)} to ${fmtTime(r.check.to)}: ${r.check.flows} flows (${r.check.uses} distinct)`);
          for (const x of r.check.examples.slice(0, 10)) lines.push(`  ${x.direction} ${x.protocol} ${x.port} ${x.peer}: ${x.flows} flows (now admitted by ${x.rule})`);
          lines.push('export: --format aws | --format tencent');
          return lines.join('\n') + '\n';
        }, r.evidence);
      }
    });
  },
};

export const baselineVerb: Verb = {
  name: 'baseline',
  summary: 'hour-of-week profiles (bps, pps, flows, distinct peers) per ENI, subnet or VPC',
  usage: `flowlogs baseline [--level eni|subnet|vpc] [--entity ID[,ID…]] [--window S] [--limit N] [--weeks N]
${COMMON_USAGE}

  For each entity (default: the --limit busiest, 10), the 168 hour-of-week cells of bit/s,
  packets/s, flows and distinct peers per --window (default 300 s): the baseline's mean and
  deviation (as detectors learn it) and the median, 95th and 99th percentile of the cell's
  windows. Use a range of a few weeks (--from -28d). The table shows each metric's typical
  and busiest hour; --format json has every cell.`,
  async run(argv, io) {
    const p = parseFlags('baseline', argv, { ...COMMON_FLAGS, level: { type: 'string' }, entity: { type: 'string', multiple: true }, window: { type: 'string' }, limit: { type: 'string' }, weeks: { type: 'string' } });
    noPositionals(p, 'baseline');
    const format = oneOf(p, 'format', 'baseline', ['table', 'json'] as const, 'table');
    return withEnv(p, 'baseline', { needInventory: false, needStore: true }, async (env) => {
      const r = await baselineProfiles(env.input, { level: checkLevel(str(p, 'level') ?? 'eni'), entities: list(p, 'entity'), window: int(p, 'window', 'baseline', 1), limit: int(p, 'limit', 'baseline', 1), weeks: int(p, 'weeks', 'baseline', 1) });
      const show = (m: (typeof PROFILE_METRICS)[number], v: number) => (m === 'bps' ? fmtRate(v) : m === 'pps' ? fmtRate(v, 'pps') : v.toFixed(1));
      print(io, format, r, () =>
        nothing(
          r.profiles,
          renderTable(
            ['entity', 'metric', 'median (all hours)', 'busiest hour', 'its p95', 'next window expected'],
            r.profiles.flatMap((e) =>
              PROFILE_METRICS.map((m) => {
                const mp = e.metrics[m];
                const med = [...mp.cells.map((c) => c.p50)].sort((a, b) => a - b)[84] ?? 0;
                return [e.entity, m, show(m, med), mp.busiest.label, show(m, mp.busiest.p95), mp.next.source === 'none' ? '' : `${show(m, mp.next.mean)} ± ${show(m, mp.next.std)}`];
              }),
            ),
          ),
          'no traffic in this range',
        ), r.evidence);
    });
  },
};

export const capacityVerb: Verb = {
  name: 'capacity',
  summary: 'utilisation against bandwidth caps, trend, days until saturation, top growth contributors',
  usage: `flowlogs capacity [--level eni|subnet|vpc] [--entity ID[,ID…]] [--window S] [--limit N]
${COMMON_USAGE}

  Per entity (default: the --limit busiest, 20): the 95th percentile and peak rate per --window
  (default 3600 s) against its bandwidth cap, the trend of its daily 95th percentile and the days
  until that trend reaches the cap; then the contributors whose traffic grew most between the
  first and the last quarter of the range. Use a range of weeks (--from -30d).`,
  async run(argv, io) {
    const p = parseFlags('capacity', argv, { ...COMMON_FLAGS, level: { type: 'string' }, entity: { type: 'string', multiple: true }, window: { type: 'string' }, limit: { type: 'string' } });
    noPositionals(p, 'capacity');
    const format = oneOf(p, 'format', 'capacity', ['table', 'json'] as const, 'table');
    return withEnv(p, 'capacity', { needInventory: false, needStore: true }, async (env) => {
      const r = await capacity({ ...env.input, inventory: env.inventory }, { level: checkLevel(str(p, 'level') ?? 'eni'), entities: list(p, 'entity'), window: int(p, 'window', 'capacity', 1), limit: int(p, 'limit', 'capacity', 1) });
      print(io, format, r, () => {
        const a = renderTable(
          ['entity', 'cap', 'p95', 'peak', 'p95 use', 'peak use', 'trend/day', 'days to cap'],
          r.rows.map((x) => [x.entity, x.cap_mbps ? fmtRate(x.cap_mbps * 1e6) : '', fmtRate(x.p95_bps), fmtRate(x.peak_bps), pct(x.utilisation_p95), pct(x.utilisation_peak), x.trend_bps_per_day === null ? '' : fmtRate(x.trend_bps_per_day), x.days_to_saturation === null ? '' : x.days_to_saturation.toFixed(1)]),
        );
        const g = r.growth;
        const b = renderTable([g.by, 'first quarter', 'last quarter', 'growth', 'share'], g.rows.map((x) => [x.key, fmtRate(x.early_bps), fmtRate(x.late_bps), fmtRate(x.growth_bps), pct(x.share)]));
        return nothing(r.rows, `${a}\ntop growth contributors\n${b}`, 'no traffic in this range');
      }, r.evidence);
    });
  },
};

export const regionsVerb: Verb = {
  name: 'regions',
  summary: 'external peers by country, city or AS: users, bytes, flows and trend, for a VPC, subnet or service port',
  usage: `flowlogs regions [--by ${REGION_LEVELS.join('|')}] [--vpc ID] [--subnet ID] [--port P] [--limit N]
${COMMON_USAGE}

  External peers (placed by geo enrichment) of the whole store, a VPC, a subnet, or the users of
  a service --port: distinct addresses, bytes and flows per region, and the change of bytes
  from the first half of the range to the second.`,
  async run(argv, io) {
    const p = parseFlags('regions', argv, { ...COMMON_FLAGS, by: { type: 'string' }, vpc: { type: 'string' }, subnet: { type: 'string' }, port: { type: 'string' }, limit: { type: 'string' } });
    noPositionals(p, 'regions');
    const format = oneOf(p, 'format', 'regions', ['table', 'json'] as const, 'table');
    const by = oneOf(p, 'by', 'regions', REGION_LEVELS, 'country');
    return withEnv(p, 'regions', { needInventory: false, needStore: true }, async (env) => {
      const r = await regions(env.input, { by, vpc: str(p, 'vpc'), subnet: str(p, 'subnet'), port: int(p, 'port', 'regions', 0, 65535), limit: int(p, 'limit', 'regions', 1) });
      const cols = by === 'city' ? ['country', 'city'] : by === 'asn' ? ['asn', 'country'] : ['country'];
      print(io, format, r, () =>
        `${r.total.users} external users, ${fmtBytes(r.total.bytes)}, ${r.total.flows} flows\n` +
        nothing(
          r.rows,
          renderTable([...cols, 'users', 'bytes', 'flows', 'trend'], r.rows.map((x) => [...cols.map((c) => (x as unknown as Record<string, unknown>)[c]), x.users, fmtBytes(x.bytes), x.flows, x.trend_pct === null ? 'new' : `${x.trend_pct > 0 ? '+' : ''}${x.trend_pct}%`])),
          'no external peers in this range (are flows enriched with geo data?)',
        ), r.evidence);
    });
  },
};

export const ANSWER_VERBS: Verb[] = [stormsVerb, hogsVerb, policyVerb, baselineVerb, capacityVerb, regionsVerb];
