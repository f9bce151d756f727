// One kind of conversation (internet clients → web on 443, app → db on 5432 …) and how to
// draw one connection of it: who talks to whom, on which port, how much, for how long.
// Sizes are heavy-tailed and asymmetric (small requests, large answers); packets follow from
// the payload, the MSS and the ACKs going the other way.

import type { Eni } from '../../inventory/model.js';
import type { ClientPopulation } from './countries.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type ConnectionEmitter } from './connection-emitter.js';
import type { Rng } from './rng.js';
import { v4Offset, v6Offset } from './roles.js';

export type Pool =
  | { kind: 'enis'; enis: readonly Eni[] }
  /** The internet client population. */
  | { kind: 'clients' }
  /** Fixed outside addresses (IPv4). */
  | { kind: 'addresses'; v4: Uint32Array };

/**
 * `tcp`: a complete connection; `udp`: request/response datagrams; `icmp`: echo request/reply;
 * `probe`: a scan attempt (SYN, then RST if answered).
 */
export type Exchange = 'tcp' | 'udp' | 'icmp' | 'probe';

export interface ServiceSpec {
  name: string;
  client: Pool;
  server: Pool;
  exchange: Exchange;
  /** Destination ports, drawn uniformly (repeat a port to weight it). Ignored when `portOf` gives one. */
  ports: readonly number[];
  /** Per ENI index, the port the server listens on (0: use `ports`). */
  portOf?: Int32Array;
  /** Median request and response payload, bytes per connection. */
  reqMedian: number;
  repMedian: number;
  /** Pareto tail index of payload sizes. */
  alpha: number;
  maxPayload: number;
  /** Share of connections open for the whole window (pools, keep-alive, replication). */
  longLived: number;
  /** Of internet clients talking to a server with an IPv6 address, the share using it. */
  v6Share: number;
  /** Share of the window's diurnal records; 0 for fixed-rate services. */
  share: number;
  /** For fixed-rate services: connections per window (independent of load). */
  perWindow: number;
}

/** What drawExchange needs of a service. */
export type ExchangeShape = Pick<ServiceSpec, 'exchange' | 'reqMedian' | 'repMedian' | 'alpha' | 'maxPayload'>;

export interface WindowContext {
  rng: Rng;
  emitter: ConnectionEmitter;
  clients: ClientPopulation;
  /** Window start and end, unix seconds, and its length. */
  start: number;
  end: number;
  seconds: number;
}

/** Records a connection of this service produces when everything is allowed. */
export function recordsPerConnection(s: ServiceSpec): number {
  const sides = (s.client.kind === 'enis' ? 1 : 0) + (s.server.kind === 'enis' ? 1 : 0);
  return s.exchange === 'probe' ? sides : sides * 2;
}


/** Per ENI index: word offsets of its first IPv4 and IPv6 addresses (-1: none). */
export class AddressOffsets {
  readonly v4: Int32Array;
  readonly v6: Int32Array;

  constructor(enis: readonly Eni[]) {
    this.v4 = Int32Array.from(enis.map(v4Offset));
    this.v6 = Int32Array.from(enis.map(v6Offset));
  }
}

export class ServiceTraffic {
  private readonly v4Off: Int32Array;
  private readonly v6Off: Int32Array;

  constructor(
    readonly spec: ServiceSpec,
    offsets: AddressOffsets,
  ) {
    this.v4Off = offsets.v4;
    this.v6Off = offsets.v6;
  }

  /** Draws and emits `count` connections; returns the records staged. */
  run(count: number, ctx: WindowContext): number {
    const s = this.spec;
    const { rng, emitter: em, clients } = ctx;
    let records = 0;
    for (let c = 0; c < count; c++) {
      let srvEni: Eni | null = null;
      let v6 = false;
      if (s.server.kind === 'enis') {
        const list = s.server.enis;
        srvEni = list[rng.int(list.length)];
      }
      // Client first: whether it speaks IPv6 decides the server address.
      if (s.client.kind === 'enis') {
        const list = s.client.enis;
        const cli = list[rng.int(list.length)];
        if (cli === srvEni) continue;
        em.setSrcEni(cli, this.v4Off[cli.index]);
      } else if (s.client.kind === 'clients') {
        const o6 = srvEni ? this.v6Off[srvEni.index] : -1;
        if (o6 >= 0 && clients.v6Count > 0 && rng.next() < s.v6Share) {
          v6 = true;
          em.setSrcExternal(clients.v6, Math.floor(clients.v6Count * cube(rng.next())) * 4);
        } else {
          em.setSrcV4(clients.v4[Math.floor(clients.v4.length * cube(rng.next()))]);
        }
      } else {
        em.setSrcV4(s.client.v4[rng.int(s.client.v4.length)]);
      }
      if (srvEni) em.setDstEni(srvEni, v6 ? this.v6Off[srvEni.index] : this.v4Off[srvEni.index]);
      else if (s.server.kind === 'clients') em.setDstV4(clients.v4[Math.floor(clients.v4.length * cube(rng.next()))]);
      else if (s.server.kind === 'addresses') em.setDstV4(s.server.v4[rng.int(s.server.v4.length)]);

      const fixedPort = srvEni && s.portOf ? s.portOf[srvEni.index] : 0;
      em.dstPort = fixedPort > 0 ? fixedPort : s.ports[rng.int(s.ports.length)];
      em.srcPort = em.srcEni ? rng.range(32768, 60999) : rng.range(32768, 65535);
      const long = s.longLived > 0 && rng.next() < s.longLived;
      drawExchange(s, long, v6, ctx);
      records += em.emit();
    }
    return records;
  }
}

/** u³ turns a uniform draw into a skewed index: the busiest clients come first in the population. */
function cube(u: number): number {
  return u * u * u;
}

/** Fills the emitter's protocol, sizes, flags and times for one connection of `s`. */
export function drawExchange(s: ExchangeShape, long: boolean, v6: boolean, ctx: WindowContext): void {
  const { rng, emitter: em } = ctx;
  em.replies = true;
  em.dstMacOverride = 0;
  switch (s.exchange) {
    case 'tcp': {
      em.protocol = 6;
      const scale = long ? 3 : 1;
      const reqPay = Math.floor(rng.pareto(s.reqMedian * scale, s.alpha, s.maxPayload));
      const repPay = Math.floor(rng.pareto(s.repMedian * scale, s.alpha, s.maxPayload));
      const reqData = Math.ceil(reqPay / 1448);
      const repData = Math.ceil(repPay / 1448);
      const handshake = long ? 0 : 2;
      const hdr = v6 ? 72 : 52;
      em.reqPackets = reqData + Math.ceil(repData / 2) + handshake;
      em.repPackets = repData + Math.ceil(reqData / 2) + handshake;
      em.reqBytes = reqPay + em.reqPackets * hdr;
      em.repBytes = repPay + em.repPackets * hdr;
      if (long) {
        em.reqFlags = TCP_ACK | TCP_PSH;
        em.repFlags = TCP_ACK | TCP_PSH;
      } else {
        em.reqFlags = rng.next() < 0.03 ? TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK : TCP_SYN | TCP_FIN | TCP_PSH | TCP_ACK;
        em.repFlags = TCP_SYN | TCP_FIN | TCP_PSH | TCP_ACK;
      }
      break;
    }
    case 'udp': {
      em.protocol = 17;
      const hdr = v6 ? 48 : 28;
      const n = rng.next() < 0.1 ? 2 : 1;
      em.reqPackets = n;
      em.repPackets = n;
      em.reqBytes = n * (hdr + Math.floor(rng.pareto(s.reqMedian, s.alpha, s.maxPayload)));
      em.repBytes = n * (hdr + Math.floor(rng.pareto(s.repMedian, s.alpha, s.maxPayload)));
      em.reqFlags = 0;
      em.repFlags = 0;
      break;
    }
    case 'icmp': {
      em.protocol = v6 ? 58 : 1;
      em.srcPort = rng.range(1, 65535); // the echo identifier
      em.dstPort = (v6 ? 128 : 8) << 8;
      const n = rng.range(1, 4);
      em.reqPackets = n;
      em.repPackets = n;
      em.reqBytes = n * (v6 ? 104 : 84);
      em.repBytes = em.reqBytes;
      em.reqFlags = 0;
      em.repFlags = 0;
      break;
    }
    case 'probe': {
      em.protocol = 6;
      const size = v6 ? 80 : 60;
      // Answered: SYN then RST from the prober, one SYN-ACK back. Unanswered probes are
      // reduced to retransmitted SYNs by the emitter.
      em.reqPackets = 2;
      em.reqBytes = 2 * size;
      em.repPackets = 1;
      em.repBytes = size;
      em.reqFlags = TCP_SYN | TCP_RST;
      em.repFlags = TCP_SYN | TCP_ACK;
      break;
    }
  }
  const w = ctx.seconds;
  if (long) {
    em.first = ctx.start;
    em.last = ctx.end - 1;
  } else {
    const dur = Math.min(w - 1, Math.floor(rng.pareto(1.5, 1.2, w)));
    em.first = ctx.start + rng.int(w - dur);
    em.last = em.first + dur;
  }
}
