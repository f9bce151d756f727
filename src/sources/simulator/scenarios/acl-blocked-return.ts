// A client whose requests are let in but whose answers are not let out: the servers' subnet
// ACL denies the return traffic. Each attempt shows as ingress ACCEPT and egress REJECT at
// the server (the answer retransmitted), and only the unanswered request at the client.

import { formatIp } from '../../../schema/ip.js';
import type { Eni } from '../../../inventory/model.js';
import { drawExchange } from '../service.js';
import { pick, preferTiers, servicePorts, shape, spread, tierOfEni, type ScenarioDefinition } from './scenario.js';

const QUERY = shape('tcp', 600, 40000, 1.5, 1e7);

export const aclBlockedReturn: ScenarioDefinition = {
  name: 'acl_blocked_return',
  description: "requests pass, but the servers' subnet ACL denies the replies (ingress ACCEPT, egress REJECT)",
  create(setup) {
    const { inventory, rng, offsets, engine } = setup;
    const returnBlocked = (s: Eni, d: Eni, port: number) => {
      const v = engine.connection(s, s.addrs, offsets.v4[s.index], d, d.addrs, offsets.v4[d.index], 6, 45678, port);
      return v.request.accepted && v.reply.blockedBy?.hop === 'dst_acl_egress';
    };
    const found: Array<{ s: Eni; d: Eni; port: number }> = [];
    for (const d of inventory.enis) {
      const ports = servicePorts(d);
      for (const s of d.vpc.enis) {
        if (s.subnet === d.subnet) continue;
        for (const port of ports) if (returnBlocked(s, d, port)) found.push({ s, d, port });
      }
    }
    if (found.length === 0) throw new Error('acl_blocked_return needs a connection whose replies a subnet ACL denies');
    const client = pick(rng, preferTiers([...new Set(found.map((f) => f.s))], ['analytics']));
    const first = pick(rng, found.filter((f) => f.s === client));
    const pairs = found.filter((f) => f.s === client && f.port === first.port && (f.d === first.d || (tierOfEni(f.d) !== '' && tierOfEni(f.d) === tierOfEni(first.d))));
    const servers = pairs.map((p) => p.d);
    const v = engine.connection(client, client.addrs, offsets.v4[client.index], first.d, first.d.addrs, offsets.v4[first.d.index], 6, 45678, first.port);
    return {
      enis: [client, ...servers],
      addresses: [client, ...servers].map((e) => formatIp(e.addrs, offsets.v4[e.index])),
      ports: [first.port],
      protocols: [6],
      details: { client_interface: client.id, port: first.port, blocking_rule: v.reply.atSender!.ruleId },
      generate(ctx) {
        const em = ctx.emitter;
        const tries = Math.max(1, Math.round(ctx.seconds / 10));
        for (const p of pairs) {
          for (let i = 0; i < tries; i++) {
            em.setSrcEni(p.s, offsets.v4[p.s.index]);
            em.setDstEni(p.d, offsets.v4[p.d.index]);
            em.srcPort = ctx.rng.range(32768, 60999);
            em.dstPort = p.port;
            drawExchange(QUERY, false, false, ctx);
            em.first = spread(ctx, i, tries);
            em.last = Math.min(ctx.end - 1, em.first + 7);
            em.emit();
          }
        }
      },
    };
  },
};
