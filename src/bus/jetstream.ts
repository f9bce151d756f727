// JetStream over a NatsConnection: streams and durable pull consumers created idempotently,
// publishing with an acknowledgement and a message id (JetStream drops a second message with
// the same id inside the stream's duplicate window), and pulling messages in batches.

import type { NatsConnection, NatsMsg } from '../nats/connection.js';

export class JetStreamError extends Error {
  override readonly name = 'JetStreamError';
  constructor(
    message: string,
    readonly code: number,
    readonly errCode?: number,
  ) {
    super(message);
  }
}

interface ApiError {
  code: number;
  err_code?: number;
  description?: string;
}

export interface StreamConfig {
  name: string;
  subjects: string[];
  /** Cap on the stream's bytes (-1: none); old messages go first (limits retention). */
  maxBytes: number;
  maxAgeS: number;
  duplicateWindowS: number;
  replicas: number;
}

export interface ConsumerConfig {
  durable: string;
  filterSubject?: string;
  ackWaitS: number;
  maxAckPending: number;
  /** Where a new consumer starts: the whole stream (writers) or what arrives from now (taps). */
  deliver?: 'all' | 'new';
}

const NS = 1_000_000_000;

export class JetStream {
  constructor(readonly nc: NatsConnection) {}

  private async api<T>(subject: string, body: unknown = '', timeoutMs?: number): Promise<T> {
    const m = await this.nc.request(`$JS.API.${subject}`, body === '' ? '' : JSON.stringify(body), { timeoutMs });
    if (m.status === 503) throw new JetStreamError('JetStream is not enabled on this NATS server (start it with -js)', 503);
    const r = JSON.parse(m.data.toString('utf8') || '{}') as T & { error?: ApiError };
    if (r.error) throw new JetStreamError(`JetStream ${subject}: ${r.error.description ?? 'error'}`, r.error.code, r.error.err_code);
    return r;
  }

  /** Creates the stream, or brings its subjects and limits to `cfg`. */
  async ensureStream(cfg: StreamConfig): Promise<void> {
    const config = {
      name: cfg.name,
      subjects: cfg.subjects,
      retention: 'limits',
      storage: 'file',
      discard: 'old',
      max_bytes: cfg.maxBytes,
      max_age: cfg.maxAgeS * NS,
      duplicate_window: cfg.duplicateWindowS * NS,
      num_replicas: cfg.replicas,
      max_msgs: -1,
      max_msg_size: -1,
    };
    try {
      const info = await this.api<{ config: { subjects: string[]; max_bytes: number; max_age: number; duplicate_window: number } }>(`STREAM.INFO.${cfg.name}`);
      const c = info.config;
      if (c.subjects.join() !== cfg.subjects.join() || c.max_bytes !== config.max_bytes || c.max_age !== config.max_age || c.duplicate_window !== config.duplicate_window) {
        await this.api(`STREAM.UPDATE.${cfg.name}`, { ...c, ...config });
      }
    } catch (e) {
      if (!(e instanceof JetStreamError) || e.code !== 404) throw e;
      await this.api(`STREAM.CREATE.${cfg.name}`, config);
    }
  }

  /** Publishes and waits for the stream's acknowledgement; `duplicate` when the id was seen. */
  async publish(subject: string, data: Uint8Array, msgId: string, headers: Record<string, string> = {}, timeoutMs?: number): Promise<{ seq: number; duplicate: boolean }> {
    const m = await this.nc.request(subject, data, { headers: { 'Nats-Msg-Id': msgId, ...headers }, timeoutMs });
    if (m.status === 503) throw new JetStreamError(`no stream takes ${subject}`, 503);
    const r = JSON.parse(m.data.toString('utf8') || '{}') as { seq?: number; duplicate?: boolean; error?: ApiError };
    if (r.error) throw new JetStreamError(`JetStream publish: ${r.error.description ?? 'error'}`, r.error.code, r.error.err_code);
    return { seq: r.seq ?? 0, duplicate: r.duplicate === true };
  }

  async ensureConsumer(stream: string, cfg: ConsumerConfig): Promise<void> {
    const config = {
      durable_name: cfg.durable,
      deliver_policy: cfg.deliver ?? 'all',
      ack_policy: 'explicit',
      ack_wait: cfg.ackWaitS * NS,
      max_deliver: -1,
      max_ack_pending: cfg.maxAckPending,
      replay_policy: 'instant',
      ...(cfg.filterSubject ? { filter_subject: cfg.filterSubject } : {}),
    };
    try {
      await this.api(`CONSUMER.INFO.${stream}.${cfg.durable}`);
    } catch (e) {
      if (!(e instanceof JetStreamError) || e.code !== 404) throw e;
      await this.api(`CONSUMER.DURABLE.CREATE.${stream}.${cfg.durable}`, { stream_name: stream, config });
    }
  }

  async consumerInfo(stream: string, durable: string): Promise<{ pending: number; ackPending: number; redelivered: number; delivered: number }> {
    const r = await this.api<{ num_pending: number; num_ack_pending: number; num_redelivered: number; delivered: { consumer_seq: number } }>(`CONSUMER.INFO.${stream}.${durable}`);
    return { pending: r.num_pending, ackPending: r.num_ack_pending, redelivered: r.num_redelivered, delivered: r.delivered.consumer_seq };
  }

  async streamInfo(stream: string): Promise<{ messages: number; bytes: number }> {
    const r = await this.api<{ state: { messages: number; bytes: number } }>(`STREAM.INFO.${stream}`);
    return { messages: r.state.messages, bytes: r.state.bytes };
  }

  pull(stream: string, durable: string): PullSubscription {
    return new PullSubscription(this.nc, stream, durable);
  }
}

/** A message delivered by a pull consumer, with what its acknowledgement subject tells. */
export interface JsMsg {
  msg: NatsMsg;
  /** Times this message has been delivered (1 the first time). */
  delivered: number;
  streamSeq: number;
  /** Messages left for the consumer after this one. */
  pending: number;
}

/**
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`, or the newer form with
 * a domain and account hash in front and a token after.
 */
export function parseAckSubject(reply: string): { delivered: number; streamSeq: number; pending: number } | undefined {
  const t = reply.split('.');
  if (t[0] !== '$JS' || t[1] !== 'ACK') return undefined;
  const base = t.length === 9 ? 4 : t.length >= 12 ? 6 : -1;
  if (base < 0) return undefined;
  return { delivered: Number(t[base]), streamSeq: Number(t[base + 1]), pending: Number(t[base + 4]) };
}

/** Fetches from a durable pull consumer; messages arrive on a private inbox. */
export class PullSubscription {
  private readonly inbox: string;
  private readonly sid: number;
  private queue: JsMsg[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly stream: string,
    private readonly durable: string,
  ) {
    this.inbox = nc.newInbox();
    this.sid = nc.subscribe(this.inbox, (m) => {
      if (m.status) {
        // 404 no messages, 408 request expired, 409 limits: this fetch is over.
        this.ended = true;
      } else if (m.reply) {
        const meta = parseAckSubject(m.reply);
        this.queue.push({ msg: m, delivered: meta?.delivered ?? 1, streamSeq: meta?.streamSeq ?? 0, pending: meta?.pending ?? 0 });
      }
      this.waiter?.();
    });
    nc.onClose(() => {
      this.ended = true;
      this.waiter?.();
    });
  }

  /**
   * Up to `batch` messages (or `maxBytes`), waiting at most `expiresMs` for the first ones.
   * Returns early with what arrived once the server says there is nothing more for now.
   */
  async fetch(batch: number, expiresMs: number, maxBytes = 0): Promise<JsMsg[]> {
    if (this.nc.isClosed) throw new Error('NATS connection lost');
    if (this.queue.length < batch) {
      this.ended = false;
      const body: Record<string, unknown> = { batch: batch - this.queue.length, expires: expiresMs * 1_000_000 };
      if (maxBytes > 0) body.max_bytes = maxBytes;
      this.nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${this.stream}.${this.durable}`, JSON.stringify(body), { reply: this.inbox });
      const deadline = Date.now() + expiresMs + 1000;
      while (this.queue.length < batch && !this.ended && Date.now() < deadline) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.max(1, deadline - Date.now()));
          this.waiter = () => {
            clearTimeout(t);
            r();
          };
        });
        this.waiter = undefined;
      }
    }
    if (this.nc.isClosed && this.queue.length === 0) throw new Error('NATS connection lost');
    const out = this.queue.slice(0, batch);
    this.queue = this.queue.slice(out.length);
    return out;
  }

  ack(m: JsMsg): void {
    if (m.msg.reply) this.nc.publish(m.msg.reply, '+ACK');
  }

  /** Resets the redelivery timer of a message still being worked on. */
  working(m: JsMsg): void {
    if (m.msg.reply) this.nc.publish(m.msg.reply, '+WPI');
  }

  /** Never to be delivered again (a message that cannot be read). */
  term(m: JsMsg): void {
    if (m.msg.reply) this.nc.publish(m.msg.reply, '+TERM');
  }

  /** Asks for redelivery now (a batch that failed and will not be retried here). */
  nak(m: JsMsg): void {
    if (m.msg.reply) this.nc.publish(m.msg.reply, '-NAK');
  }

  close(): void {
    if (!this.nc.isClosed) this.nc.unsubscribe(this.sid);
  }
}
