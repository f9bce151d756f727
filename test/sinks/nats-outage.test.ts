import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { NatsConnection } from '../../src/nats/connection.js';
import { runOutage } from './outage.js';
import { NatsServer } from '../cluster/nats.js';

// Debian's nats-server with JetStream, started here on 127.0.0.1 (scripts/setup-test-deps.sh installs it).
let nats: NatsServer;

before(async () => {
  nats = new NatsServer(fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-nats-')));
  await nats.start();
});

after(async () => {
  await nats.stop();
});

interface Stored {
  msgId: string;
  records: number[];
}

/** Every message in the stream, read back by sequence number through the JetStream API. */
async function readStream(stream: string): Promise<Stored[]> {
  const c = await NatsConnection.connect({ url: nats.url, timeoutMs: 5000, name: 'test reader' });
  const info = JSON.parse((await c.request(`$JS.API.STREAM.INFO.${stream}`, '')).data.toString()) as { state: { first_seq: number; last_seq: number } };
  const out: Stored[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const r = JSON.parse((await c.request(`$JS.API.STREAM.MSG.GET.${stream}`, JSON.stringify({ seq }))).data.toString()) as { message: { data: string; hdrs: string } };
    const hdrs = Buffer.from(r.message.hdrs, 'base64').toString();
    const msgId = /Nats-Msg-Id: (\S+)/.exec(hdrs)![1];
    const count = Number(/Flowlogs-Records: (\d+)/.exec(hdrs)![1]);
    const lines = Buffer.from(r.message.data, 'base64').toString().trimEnd().split('\n');
    assert.equal(lines.length, count);
    out.push({ msgId, records: lines.map((l) => (JSON.parse(l) as { bytes: number }).bytes) });
  }
  c.close();
  return out;
}

test('NATS JetStream: a server outage (and a flowlogs restart during it) loses nothing; message ids keep duplicates out', async () => {
  await runOutage({
    settings: { type: 'nats', url: nats.url, stream: 'OUTAGE', subject: 'flows.outage', timeout_ms: 2000, max_message_bytes: 64 * 1024 },
    restartDuringOutage: true,
    outageMs: 2000,
    stopTarget: () => nats.stop(),
    startTarget: () => nats.start(),
    readBack: async () => {
      const msgs = await readStream('OUTAGE');
      // Many records per message.
      assert.ok(msgs.length < 30_000 / 50, `${msgs.length} messages`);
      const seen = new Set<string>();
      const values: number[] = [];
      for (const m of msgs) {
        if (seen.has(m.msgId)) continue;
        seen.add(m.msgId);
        values.push(...m.records);
      }
      return values;
    },
  });
});
