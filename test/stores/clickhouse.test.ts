// The shared query suite on ClickHouse: one server (Debian's 18.16), then a two-shard cluster.
import { querySuite } from './query-suite.js';
import { clickhouseKind } from './stores.js';

querySuite(clickhouseKind(1));
querySuite(clickhouseKind(2));
