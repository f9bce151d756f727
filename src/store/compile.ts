// One place that knows which query compiler goes with which store dialect.

import type { Query } from '../query/index.js';
import { compileQuery as compileDuckDb, type CompiledQuery, type CompileOptions } from './duckdb/compile.js';
import type { FlowStore } from './store.js';
import { InputError } from '../util/errors.js';

export type Compiler = (q: Query, opts?: CompileOptions) => CompiledQuery;

const COMPILERS: Partial<Record<FlowStore['dialect'], Compiler>> = { duckdb: compileDuckDb };

export function registerCompiler(dialect: FlowStore['dialect'], c: Compiler): void {
  COMPILERS[dialect] = c;
}

export function compilerFor(dialect: FlowStore['dialect']): Compiler {
  const c = COMPILERS[dialect];
  if (!c) throw new InputError(`queries are not available on the ${dialect} store in this build`);
  return c;
}
