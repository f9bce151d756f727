// Tenancy: a caller limited to some accounts gets those accounts as a filter on every read.

import type { FieldFilter } from '../store/store.js';
import { ALL_ACCOUNTS, type Principal } from './tokens.js';

export function scopeFilters(p: Principal): FieldFilter[] {
  if (p.accounts.includes(ALL_ACCOUNTS)) return [];
  // An account list that is empty must match nothing, not everything.
  return [{ field: 'account_id', values: p.accounts.length ? p.accounts : ['\u0001no-account'] }];
}
