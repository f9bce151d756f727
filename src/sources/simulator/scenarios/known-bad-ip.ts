// Traffic with addresses from the threat list: one listed address browsing the web tier,
// one knocking on SSH, and an inside host calling out to a third every few seconds (the
// beacon of a compromised machine).

import { formatIp } from '../../../schema/ip.js';
import type { Eni } from '../../../inventory/model.js';
import { drawExchange, type WindowContext } from '../service.js';
import { establishes, pick, preferTiers, shape, spread, v4Text, type ScenarioDefinition } from './scenario.js';

const BROWSING = shape('tcp', 1500, 6000, 1.5, 1e6);

const BEACON = shape('tcp', 400, 300, 3, 1e5);

export const knownBadIp: ScenarioDefinition = {
  name: 'known_bad_ip',
  description: 'traffic to and from addresses on the threat list',
  create(setup) {
    const { inventory, rng, offsets, engine, threats } = setup;
    if (threats.length === 0) throw new Error('known_bad_ip needs a threat list with at least one IPv4 address');
    const bad = [threats[rng.int(threats.length)], threats[rng.int(threats.length)], threats[rng.int(threats.length)]];
    const exposed = inventory.enis.filter((e) => e.publicIp !== undefined);
    const web = exposed.length > 0 ? pick(rng, preferTiers(exposed, ['web'])) : undefined;
    const ssh = exposed.length > 0 ? pick(rng, preferTiers(exposed, ['bastion'])) : undefined;
    const callers = inventory.enis.filter((e) => establishes(engine, e, offsets.v4[e.index], bad[2], 0, 6, 443));
    const beacon = callers.length > 0 ? pick(rng, preferTiers(callers, ['nat', 'web'])) : undefined;
    if (!web && !beacon) throw new Error('known_bad_ip needs a public interface or one that may reach the internet');
    const enis = [web, ssh, beacon].filter((e): e is Eni => e !== undefined);
    const inbound = (ctx: WindowContext, from: number, to: Eni, port: number, n: number, offset: number) => {
      const em = ctx.emitter;
      for (let i = 0; i < n; i++) {
        em.setSrcV4(from);
        em.setDstEni(to, offsets.v4[to.index]);
        em.srcPort = ctx.rng.range(32768, 65535);
        em.dstPort = port;
        drawExchange(BROWSING, false, false, ctx);
        em.first = spread(ctx, i + offset, n + offset);
        em.last = Math.min(ctx.end - 1, em.first + 1);
        em.emit();
      }
    };
    return {
      enis: [...new Set(enis)],
      addresses: [...new Set(bad.map(v4Text)), ...enis.map((e) => formatIp(e.addrs, offsets.v4[e.index]))],
      ports: [443, 22],
      protocols: [6],
      details: {
        ...(web ? { browsing: `${v4Text(bad[0])} -> ${web.id}:443` } : {}),
        ...(ssh ? { ssh: `${v4Text(bad[1])} -> ${ssh.id}:22` } : {}),
        ...(beacon ? { beacon: `${beacon.id} -> ${v4Text(bad[2])}:443` } : {}),
      },
      generate(ctx) {
        if (web) inbound(ctx, bad[0], web, 443, 20, 0);
        if (ssh) inbound(ctx, bad[1], ssh, 22, 10, 1);
        if (beacon) {
          const em = ctx.emitter;
          const n = Math.max(1, Math.round(ctx.seconds / 5));
          for (let i = 0; i < n; i++) {
            em.setSrcEni(beacon, offsets.v4[beacon.index]);
            em.setDstV4(bad[2]);
            em.srcPort = ctx.rng.range(32768, 60999);
            em.dstPort = 443;
            drawExchange(BEACON, false, false, ctx);
            em.first = spread(ctx, i, n);
            em.last = em.first;
            em.emit();
          }
        }
      },
    };
  },
};
