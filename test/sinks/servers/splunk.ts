// Splunk HTTP Event Collector as documented: POST /services/collector/event with
// `Authorization: Splunk <token>`, a body of concatenated JSON event objects, and answers
// {"text":"Success","code":0}, {"text":"Invalid token","code":4} (401/403) or
// {"text":"Invalid data format","code":6,"invalid-event-number":N} (400).

import type { Received } from './http-receiver.js';

export interface HecEvent {
  time: number;
  host: string;
  source: string;
  sourcetype: string;
  index?: string;
  fields: Record<string, string>;
  event: Record<string, unknown>;
}

export class FakeSplunk {
  readonly events: HecEvent[] = [];

  constructor(private readonly token: string) {}

  handle = (r: Received): { status: number; body?: unknown } => {
    if (r.method !== 'POST' || r.path !== '/services/collector/event') return { status: 404, body: { text: 'The requested URL was not found on this server.', code: 404 } };
    if (r.headers.authorization !== `Splunk ${this.token}`) return { status: 403, body: { text: 'Invalid token', code: 4 } };
    // Events are JSON objects one after another (we also accept them on separate lines).
    const text = r.body.toString();
    const parsed: HecEvent[] = [];
    let depth = 0;
    let start = -1;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{') {
        if (depth++ === 0) start = i;
      } else if (c === '}' && --depth === 0) {
        const e = JSON.parse(text.slice(start, i + 1)) as HecEvent;
        if (e.event === undefined) return { status: 400, body: { text: 'Event field is required', code: 12, 'invalid-event-number': parsed.length } };
        parsed.push(e);
      }
    }
    if (parsed.length === 0) return { status: 400, body: { text: 'No data', code: 5 } };
    this.events.push(...parsed);
    return { status: 200, body: { text: 'Success', code: 0 } };
  };
}
