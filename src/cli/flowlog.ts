// flowlogs flowlog: create, list, show, update, enable, disable and delete flow logs in a data
// directory. A server running on the same directory applies each change within a second.

import { FlowLogRegistry } from '../flowlogs/registry.js';
import { DEFAULT_WINDOW_SECONDS, SCOPE_TYPES, TRAFFIC_TYPES, type FlowLog, type FlowLogPatch, type ScopeType, type TrafficType } from '../flowlogs/flow-log.js';
import { CurrentInventory, inventoryCandidates } from '../inventory/current-inventory.js';
import { openDataDir } from '../store/datadir.js';
import { InputError } from '../util/errors.js';
import { bool, list, oneOf, parseFlags, str, type Io, type Verb } from './args.js';
import { renderTable } from './table.js';

const FLAGS = {
  data: { type: 'string' },
  inventory: { type: 'string' },
  name: { type: 'string' },
  scope: { type: 'string' },
  'scope-type': { type: 'string' },
  'traffic-type': { type: 'string' },
  window: { type: 'string' },
  destination: { type: 'string', multiple: true },
  enable: { type: 'boolean' },
  disable: { type: 'boolean' },
  format: { type: 'string' },
} as const;

const SUBS = ['create', 'list', 'show', 'update', 'enable', 'disable', 'delete'] as const;

function table(logs: readonly FlowLog[]): string {
  return renderTable(
    ['id', 'name', 'scope', 'traffic', 'window', 'destinations', 'enabled', 'updated'],
    logs.map((l) => [l.id, l.name, `${l.scope_type} ${l.scope_id}`, l.traffic_type, `${l.window_seconds}s`, l.destinations.join(','), l.enabled ? 'yes' : 'no', l.updated]),
  );
}

function print(io: Io, format: 'table' | 'json', logs: readonly FlowLog[], one: boolean): void {
  if (format === 'json') io.out.write(JSON.stringify(one ? logs[0] : logs, null, 2) + '\n');
  else io.out.write(table(logs));
}

export const flowlogVerb: Verb = {
  name: 'flowlog',
  summary: 'create, list, change, enable, disable and delete flow logs',
  usage: `flowlogs flowlog create --scope ID [--name NAME] [--traffic-type ACCEPT|REJECT|ALL] [--window 60s]
                        [--destination store[,SINK…]] [--disable] [--scope-type vpc|subnet|eni]
flowlogs flowlog list [--format table|json]
flowlogs flowlog show ID|NAME [--format table|json]
flowlogs flowlog update ID|NAME [--name N] [--scope ID] [--traffic-type T] [--window W] [--destination D…] [--enable|--disable]
flowlogs flowlog enable|disable|delete ID|NAME

  A flow log records the traffic of every ENI in its scope (a VPC, a subnet or one ENI; ENIs
  added to the inventory later are covered too), keeps ACCEPT, REJECT or ALL of it, sums it over
  --window (1s to 10m, default ${DEFAULT_WINDOW_SECONDS}s) and sends the records to its destinations ('store' is the
  built-in store; other names are sinks). Every attribute can be changed later.
  --data DIR        data directory (default ./data); a server running on it applies changes within a second
  --inventory FILE  inventory to check scopes against when none was imported into the data directory`,
  async run(argv: string[], io: Io): Promise<number> {
    const [sub, ...rest] = argv;
    if (!sub || !(SUBS as readonly string[]).includes(sub)) throw new InputError(`flowlogs flowlog: expected ${SUBS.join(', ')}${sub ? `, got '${sub}'` : ''}`);
    const verb = `flowlog ${sub}`;
    const p = parseFlags(verb, rest, FLAGS);
    const format = oneOf(p, 'format', verb, ['table', 'json'] as const, 'table');
    const dataArg = str(p, 'data') ?? './data';
    const writes = sub !== 'list' && sub !== 'show';
    const dir = openDataDir(dataArg, { create: writes });
    const registry = FlowLogRegistry.open(dir.root);
    const inventory = () => new CurrentInventory(inventoryCandidates(dir.root, { file: str(p, 'inventory') })).get();
    const target = (): string => {
      const t = p.positionals[0];
      if (!t) throw new InputError(`flowlogs ${verb}: name the flow log (its id or name)`);
      if (p.positionals.length > 1) throw new InputError(`flowlogs ${verb}: one flow log at a time, got ${p.positionals.join(' ')}`);
      return t;
    };
    const scopeType = str(p, 'scope-type');
    if (scopeType !== undefined && !(SCOPE_TYPES as readonly string[]).includes(scopeType)) throw new InputError(`flowlogs ${verb}: --scope-type must be one of ${SCOPE_TYPES.join(', ')}, got '${scopeType}'`);
    const traffic = str(p, 'traffic-type');
    if (traffic !== undefined && !(TRAFFIC_TYPES as readonly string[]).includes(traffic.toUpperCase())) throw new InputError(`flowlogs ${verb}: --traffic-type must be one of ${TRAFFIC_TYPES.join(', ')}, got '${traffic}'`);
    if (bool(p, 'enable') && bool(p, 'disable')) throw new InputError(`flowlogs ${verb}: --enable and --disable contradict each other`);
    const patch = (): FlowLogPatch => {
      const out: FlowLogPatch = {};
      const name = str(p, 'name');
      if (name !== undefined) out.name = name;
      const scope = str(p, 'scope');
      if (scope !== undefined) out.scope_id = scope;
      if (scopeType !== undefined) out.scope_type = scopeType as ScopeType;
      if (traffic !== undefined) out.traffic_type = traffic.toUpperCase() as TrafficType;
      const w = str(p, 'window');
      if (w !== undefined) out.window = w;
      if (p.values.destination !== undefined) out.destinations = list(p, 'destination');
      if (bool(p, 'enable')) out.enabled = true;
      if (bool(p, 'disable')) out.enabled = false;
      return out;
    };
    const say = (l: FlowLog, what: string) => io.err.write(`flow log ${l.id} (${l.name}) ${what}\n`);
    try {
      switch (sub) {
        case 'create': {
          if (p.positionals.length) throw new InputError(`flowlogs flowlog create: unexpected argument '${p.positionals[0]}' (give the scope with --scope)`);
          const input = patch();
          if (input.scope_id === undefined) throw new InputError('flowlogs flowlog create: --scope ID is required (a VPC, subnet or ENI id)');
          const l = await registry.create({ ...input, scope_id: input.scope_id }, inventory());
          print(io, format, [l], true);
          say(l, `created for ${l.scope_type} ${l.scope_id}${l.enabled ? '' : ' (disabled)'}`);
          return 0;
        }
        case 'list':
          print(io, format, registry.list(), false);
          return 0;
        case 'show':
          print(io, format, [registry.find(target())], true);
          return 0;
        case 'update': {
          const change = patch();
          if (Object.keys(change).length === 0) throw new InputError('flowlogs flowlog update: nothing to change (give --name, --scope, --traffic-type, --window, --destination, --enable or --disable)');
          const l = await registry.update(target(), change, change.scope_id !== undefined || change.scope_type !== undefined ? inventory() : undefined);
          print(io, format, [l], true);
          say(l, 'updated');
          return 0;
        }
        case 'enable':
        case 'disable': {
          const l = await registry.setEnabled(target(), sub === 'enable');
          say(l, `${sub}d`);
          return 0;
        }
        case 'delete': {
          const l = await registry.delete(target());
          say(l, 'deleted');
          return 0;
        }
      }
    } catch (e) {
      // One line naming the command, like every other input problem.
      if (e instanceof InputError && !e.message.startsWith('flowlogs ')) throw new InputError(`flowlogs ${verb}: ${e.message}`);
      throw e;
    }
    return 0;
  },
};
