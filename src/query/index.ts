// The query language: `filter [| SELECT …]`, parsed once into a tree that each store compiles
// into its own SQL dialect (src/store/<engine>/compile.ts).

export type * from './ast.js';
export { QuerySyntaxError, isQuerySyntaxError } from './errors.js';
export { FUNCTIONS, FUNCTION_NAMES, type FunctionSpec } from './functions.js';
export { MAX_DEPTH, MAX_QUERY_LENGTH } from './limits.js';
export { andFilters, exactFilter, parseFilter, parseQuery } from './parse.js';
