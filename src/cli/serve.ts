import { loadConfig } from '../config/load.js';
import { createLogger } from '../util/log.js';
import { bool, int, parseFlags, str, type Io, type Verb } from './args.js';
import { Service } from './service.js';
import { untilSignal } from './signals.js';

export const SERVE_FLAGS = {
  config: { type: 'string', short: 'c' },
  data: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'log-level': { type: 'string' },
  'no-collectors': { type: 'boolean' },
} as const;

/** Runs until SIGINT/SIGTERM, then shuts down cleanly (everything received is written). */
export async function runUntilSignal(service: Service, io: Io): Promise<number> {
  await service.start();
  io.err.write(`flowlogs ${service.url}  (data: ${service.dataDir})  Ctrl-C to stop\n`);
  await untilSignal();
  await service.stop();
  return 0;
}

export const serve: Verb = {
  name: 'serve',
  summary: 'run collectors, pipeline, store, HTTP API and console',
  usage: `flowlogs serve [--config FILE] [--data DIR] [--store URL] [--host ADDR] [--port N]

  --config FILE   YAML configuration (sections: server, store, …); FLOWLOGS_<SECTION>__<KEY> env vars override it
  --data DIR      data directory of the embedded store (default ./data)
  --store URL     a ClickHouse store instead (clickhouse://host:8123/db; store.url in the config);
                  with a bus section, the detectors read the flows from NATS
  --host ADDR     address to listen on (default 127.0.0.1; anything else needs an API token)
  --port N        HTTP port (default 8080)
  --no-collectors do not open the NetFlow/IPFIX/sFlow UDP listeners (collectors.listen in the config)`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseFlags('serve', argv, { ...SERVE_FLAGS, store: { type: 'string' } }, false);
    const cfg = loadConfig(str(p, 'config'));
    const log = createLogger(str(p, 'log-level'));
    const service = new Service(cfg, { host: str(p, 'host'), port: int(p, 'port', 'serve', 0, 65535), data: str(p, 'data'), store: str(p, 'store'), collectors: !bool(p, 'no-collectors') }, log);
    return runUntilSignal(service, io);
  },
};
