// The flow record's fields as the server defines them (/api/schema), fetched once per page
// load: they drive the search's autocompletion, the column chooser and the group-by lists.

import { api, ApiError } from './api';
import type { SchemaResult } from './types';

let cached: Promise<SchemaResult> | undefined;

export function loadSchema(): Promise<SchemaResult> {
  cached ??= api.get<SchemaResult>('/api/schema').catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

/**
 * Fails like a missing route, without a request, when the server says it lacks `endpoint`
 * ("GET /api/diagnose"); servers that do not say are asked anyway.
 */
export async function needs(endpoint: string): Promise<void> {
  let s: SchemaResult;
  try {
    s = await loadSchema();
  } catch {
    return;
  }
  if (s.available && !s.available.includes(endpoint)) throw new ApiError(404, `no route ${endpoint}`);
}
