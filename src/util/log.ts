// Structured logs (pino): JSON lines on stderr, so stdout stays free for command output.

import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env.FLOWLOGS_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
