// The store URL: clickhouse://[user[:password]@]host[:port]/database[?options]
//   cluster=NAME          a remote_servers cluster: local tables per shard + Distributed tables
//   shards=H:P,H:P|H:P    every shard's HTTP endpoints (replicas of a shard joined by |), so the
//                         schema can be created on each; defaults to the URL's server alone
//   replicated=1          Replicated* engines (needs a keeper and {shard}/{replica} macros)
// clickhouses:// speaks HTTPS (default port 8443); plain clickhouse:// defaults to 8123.

import { InputError } from '../../util/errors.js';

export interface ClickHouseUrl {
  /** The HTTP(S) endpoint for queries and inserts. */
  endpoint: string;
  username: string;
  password: string;
  database: string;
  cluster?: string;
  /** Per shard, its replicas' HTTP endpoints. */
  shards: string[][];
  replicated: boolean;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isClickHouseUrl(url: string): boolean {
  return /^clickhouses?:\/\//i.test(url);
}

export function parseClickHouseUrl(text: string): ClickHouseUrl {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new InputError(`store URL '${text}': not a URL (expected clickhouse://host:8123/database)`);
  }
  const secure = u.protocol === 'clickhouses:';
  if (!secure && u.protocol !== 'clickhouse:') throw new InputError(`store URL '${text}': expected clickhouse:// or clickhouses://`);
  if (!u.hostname) throw new InputError(`store URL '${text}': no host`);
  const scheme = secure ? 'https' : 'http';
  const port = u.port || (secure ? '8443' : '8123');
  const endpoint = `${scheme}://${u.hostname.includes(':') && !u.hostname.startsWith('[') ? `[${u.hostname}]` : u.hostname}:${port}`;
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'flowlogs';
  if (!IDENT.test(database)) throw new InputError(`store URL '${text}': database '${database}' must be letters, digits and _`);
  const known = new Set(['cluster', 'shards', 'replicated']);
  for (const k of u.searchParams.keys()) if (!known.has(k)) throw new InputError(`store URL '${text}': unknown option '${k}' (known: ${[...known].join(', ')})`);
  const cluster = u.searchParams.get('cluster') ?? undefined;
  if (cluster !== undefined && !IDENT.test(cluster)) throw new InputError(`store URL '${text}': cluster '${cluster}' must be letters, digits and _`);
  const shardsText = u.searchParams.get('shards');
  const shards = shardsText
    ? shardsText.split(',').map((s) =>
        s.split('|').map((h) => {
          const t = h.trim();
          if (!/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(t)) throw new InputError(`store URL '${text}': shard endpoint '${t}' must be host:port`);
          return `${scheme}://${t}`;
        }),
      )
    : [[endpoint]];
  if (shardsText && !cluster) throw new InputError(`store URL '${text}': shards= needs cluster=`);
  const replicated = ['1', 'true', 'yes'].includes((u.searchParams.get('replicated') ?? '').toLowerCase());
  return { endpoint, username: decodeURIComponent(u.username) || 'default', password: decodeURIComponent(u.password), database, cluster, shards, replicated };
}
