// Bounds that keep hostile queries cheap to reject: the parsers recurse, and so do the
// compilers, so nesting is capped well below any stack limit.

/** Longest query text accepted, in characters. */
export const MAX_QUERY_LENGTH = 100_000;

/** Deepest nesting of parentheses, operators and calls. */
export const MAX_DEPTH = 200;

/** Most terms in one expression once select-list aliases are expanded into it. */
export const MAX_EXPANDED_NODES = 20_000;
