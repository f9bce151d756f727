import { z } from 'zod';

const NAME = /^[A-Za-z0-9_-]+$/;
const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** The `bus` section: where batches travel between collectors and writers. */
export const busConfig = z
  .object({
    /** NATS server(s), tried in order: nats://host:4222 or tls://host:4222. */
    url: z.union([z.string(), z.array(z.string()).min(1)]).default('nats://127.0.0.1:4222'),
    user: z.string().optional(),
    password: z.string().optional(),
    token: z.string().optional(),
    tls: z.object({ ca_file: z.string().optional(), insecure: z.boolean().default(false) }).strict().optional(),
    /** JetStream stream holding the batches (created if missing). */
    stream: z.string().regex(NAME).default('FLOWLOGS'),
    /** Subject prefix; batches go to <subject>.<partition>. */
    subject: z.string().regex(SUBJECT).default('flowlogs.batches'),
    /** Subjects per stream: consumer groups may each take a share (writer.partitions). */
    partitions: z.number().int().min(1).max(1024).default(8),
    /** Stream limits: the backlog JetStream keeps while writers are down. */
    max_bytes: z.number().int().min(-1).default(-1),
    max_age_s: z.number().int().min(0).default(7 * 86400),
    /** JetStream drops a message whose id it saw this recently: must outlast a collector's outage. */
    duplicate_window_s: z.number().int().min(1).default(3600),
    replicas: z.number().int().min(1).max(5).default(1),
    /** Largest message (the server's max_payload applies too); a batch is split to fit. */
    max_message_bytes: z.number().int().min(4096).default(1 << 20),
    timeout_ms: z.number().int().min(100).default(10_000),
    /**
     * Durable consumer through which `serve --store clickhouse://…` feeds its detectors (default
     * detect-<host name>): one per server, since each keeps its own detection state.
     */
    detect_consumer: z.string().regex(NAME).optional(),
  })
  .strict();

export type BusConfig = z.infer<typeof busConfig>;

/** The `collect` section: the collector role's own settings besides `collectors` and `bus`. */
export const collectRoleConfig = z
  .object({
    /** Name of this collector (unique per deployment; part of every batch id). */
    name: z.string().regex(NAME).optional(),
    /** Where undelivered batches wait while NATS is unreachable. */
    queue_dir: z.string().default('./data/bus-queue'),
    /** Cap on that queue; beyond it the oldest batches are dropped (counted). */
    queue_max_bytes: z.number().int().min(1 << 20).default(8 * 1024 ** 3),
    /** Address for /metrics and /health (empty: none). */
    metrics_listen: z.string().default('127.0.0.1:9464'),
  })
  .strict();

export type CollectRoleConfig = z.infer<typeof collectRoleConfig>;

/** The `write` section: the writer role. */
export const writeRoleConfig = z
  .object({
    /** Durable consumer shared by the writers of one group. */
    consumer: z.string().regex(NAME).default('writers'),
    /** Partitions this group takes (all when absent): e.g. [0, 1, 2, 3]. */
    partitions: z.array(z.number().int().min(0)).optional(),
    /** Rows gathered into one INSERT (ClickHouse likes few big inserts). */
    insert_rows: z.number().int().min(1).max(1_000_000).default(500_000),
    /** Longest a row waits for its INSERT to fill. */
    insert_wait_ms: z.number().int().min(10).default(1000),
    /** Unacknowledged messages per consumer (all writers of the group together). */
    max_ack_pending: z.number().int().min(1).default(256),
    /** Redelivery when a writer neither acknowledges nor reports progress for this long. */
    ack_wait_s: z.number().int().min(5).default(60),
    metrics_listen: z.string().default('127.0.0.1:9465'),
  })
  .strict();

export type WriteRoleConfig = z.infer<typeof writeRoleConfig>;
