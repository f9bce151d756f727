import { z } from 'zod';

export const collectorConfig = z
  .object({
    enabled: z.boolean().default(true),
    /**
     * UDP endpoints, "host:port" ("[::]:2055" listens on IPv6 and IPv4). The port names only
     * a convention (2055 NetFlow, 4739 IPFIX, 6343 sFlow): every listener takes every protocol.
     */
    listen: z.array(z.string().min(1)).default(['[::]:2055', '[::]:4739', '[::]:6343']),
    /** Socket receive buffer asked of the kernel (capped by net.core.rmem_max). */
    receive_buffer_bytes: z.number().int().min(65536).default(32 * 1024 * 1024),
    /** Decoding threads; exporters are spread over them, each exporter always on the same one. */
    decoders: z.number().int().min(1).max(16).default(1),
    /** Sampling rate applied when an exporter announces none. */
    sampling_rate: z.number().int().min(1).default(1),
    template_timeout_s: z.number().int().min(1).default(1800),
  })
  .strict();

export type CollectorConfig = z.infer<typeof collectorConfig>;

export interface Endpoint {
  host: string;
  port: number;
}

/** "[::]:2055", "0.0.0.0:6343", ":4739" or "2055" (all interfaces). */
export function parseEndpoint(text: string): Endpoint | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):?(\d{1,5})$/.exec(text.trim()) ?? /^()()(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? (m[2] || '::');
  return { host, port };
}
