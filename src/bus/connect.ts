// Connecting to the bus: the first NATS server of the list that answers, with JetStream and
// the stream in place.

import { errorMessage } from '../util/errors.js';
import type { BusConfig } from './config.js';
import { JetStream } from './jetstream.js';
import { NatsConnection } from '../nats/connection.js';

export function busUrls(cfg: BusConfig): string[] {
  return Array.isArray(cfg.url) ? cfg.url : [cfg.url];
}

export async function connectBus(cfg: BusConfig, name: string): Promise<JetStream> {
  const errors: string[] = [];
  for (const url of busUrls(cfg)) {
    try {
      const nc = await NatsConnection.connect({ url, name, timeoutMs: cfg.timeout_ms, user: cfg.user, password: cfg.password, token: cfg.token, tls: cfg.tls });
      if (!nc.info.jetstream) {
        nc.close();
        throw new Error(`${url}: JetStream is not enabled (start nats-server with -js)`);
      }
      const js = new JetStream(nc);
      try {
        await js.ensureStream({
          name: cfg.stream,
          subjects: [`${cfg.subject}.*`],
          maxBytes: cfg.max_bytes,
          maxAgeS: cfg.max_age_s,
          duplicateWindowS: cfg.duplicate_window_s,
          replicas: cfg.replicas,
        });
      } catch (e) {
        nc.close();
        throw e;
      }
      return js;
    } catch (e) {
      errors.push(errorMessage(e));
    }
  }
  throw new Error(`no NATS server reachable: ${errors.join('; ')}`);
}

/** The partition of a batch: its id hashed (FNV-1a), so retries go to the same subject. */
export function partitionOf(id: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}
