// The part of Elasticsearch's REST API the sink uses, as documented: PUT _index_template/<name>
// and POST _bulk (NDJSON action/document pairs; `create` answers 201, or 409
// version_conflict_engine_exception when the _id exists; the reply lists one item per action
// and sets `errors` when any failed).

import type { Received } from './http-receiver.js';

export class FakeElasticsearch {
  readonly templates = new Map<string, { index_patterns: string[] }>();
  readonly indices = new Map<string, Map<string, Record<string, unknown>>>();
  /** Make the next bulk request answer this many items with 429 (a busy cluster). */
  throttleNext = 0;

  handle = (r: Received): { status: number; body?: unknown } => {
    const tpl = /^\/_index_template\/([^/?]+)$/.exec(r.path);
    if (r.method === 'PUT' && tpl) {
      this.templates.set(tpl[1], JSON.parse(r.body.toString()) as { index_patterns: string[] });
      return { status: 200, body: { acknowledged: true } };
    }
    if (r.method === 'POST' && r.path.split('?')[0] === '/_bulk') {
      if (!String(r.headers['content-type']).startsWith('application/x-ndjson')) return { status: 400, body: { error: 'Content-Type header [application/json] is not supported for _bulk' } };
      const lines = r.body.toString().split('\n').filter(Boolean);
      const items: Record<string, unknown>[] = [];
      let errors = false;
      for (let i = 0; i < lines.length; i += 2) {
        const action = JSON.parse(lines[i]) as { create?: { _index: string; _id: string } };
        const meta = action.create!;
        if (this.throttleNext > 0) {
          this.throttleNext--;
          errors = true;
          items.push({ create: { _index: meta._index, _id: meta._id, status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' } } });
          continue;
        }
        let index = this.indices.get(meta._index);
        if (!index) {
          index = new Map();
          this.indices.set(meta._index, index);
        }
        if (index.has(meta._id)) {
          errors = true;
          items.push({ create: { _index: meta._index, _id: meta._id, status: 409, error: { type: 'version_conflict_engine_exception', reason: `[${meta._id}]: version conflict, document already exists` } } });
          continue;
        }
        index.set(meta._id, JSON.parse(lines[i + 1]) as Record<string, unknown>);
        items.push({ create: { _index: meta._index, _id: meta._id, _version: 1, result: 'created', status: 201 } });
      }
      return { status: 200, body: { took: 1, errors, items } };
    }
    return { status: 404, body: { error: `no handler for ${r.method} ${r.path}` } };
  };
}
