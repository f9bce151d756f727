// The shared query suite on the embedded DuckDB store.
import { querySuite } from './query-suite.js';
import { duckdbKind } from './stores.js';

querySuite(duckdbKind());
