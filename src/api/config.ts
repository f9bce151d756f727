import { z } from 'zod';

export const serverConfig = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
  })
  .strict();

export type ServerConfig = z.infer<typeof serverConfig>;
