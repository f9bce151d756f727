// One outside address opens many short SSH connections to the same server: password
// guessing, a few kilobytes each, several a second.

import { formatIp } from '../../../schema/ip.js';
import { drawExchange } from '../service.js';
import { pick, preferTiers, shape, spread, v4Text, type ScenarioDefinition } from './scenario.js';

const LOGIN_ATTEMPT = shape('tcp', 2200, 2800, 4, 20000);

export const sshBruteForce: ScenarioDefinition = {
  name: 'ssh_brute_force',
  description: 'many short SSH connections from one outside address to one server',
  create(setup) {
    const { inventory, rng, offsets } = setup;
    const exposed = inventory.enis.filter((e) => e.publicIp !== undefined);
    if (exposed.length === 0) throw new Error('ssh_brute_force needs an interface with a public address');
    const target = pick(rng, preferTiers(exposed, ['bastion']));
    const attacker = setup.attackerAddress();
    const off = offsets.v4[target.index];
    const perSecond = 2 + rng.next() * 3;
    // The attacking host hands out source ports in turn, as network stacks do.
    let port = rng.range(32768, 65535);
    return {
      enis: [target],
      addresses: [v4Text(attacker), formatIp(target.addrs, off), target.publicIp!],
      ports: [22],
      protocols: [6],
      details: { attacker: v4Text(attacker), target_interface: target.id, attempts_per_second: Math.round(perSecond * 10) / 10 },
      generate(ctx) {
        const em = ctx.emitter;
        const n = Math.max(10, Math.round(perSecond * ctx.seconds));
        for (let i = 0; i < n; i++) {
          em.setSrcV4(attacker);
          em.setDstEni(target, off);
          em.srcPort = port;
          port = port === 65535 ? 32768 : port + 1;
          em.dstPort = 22;
          drawExchange(LOGIN_ATTEMPT, false, false, ctx);
          em.first = spread(ctx, i, n);
          em.last = Math.min(ctx.end - 1, em.first + ctx.rng.range(1, 4));
          em.emit();
        }
      },
    };
  },
};
