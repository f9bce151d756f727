// The answers as commands, run in-process against a data directory with an imported inventory.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Writable } from 'node:stream';
import { ANSWER_VERBS, policyVerb, stormsVerb } from '../../src/cli/answers.js';
import { diagnoseVerb } from '../../src/cli/diagnose.js';
import { saveInventory } from '../../src/inventory/current-inventory.js';
import { FlowBatch } from '../../src/schema/batch.js';
import { isInputError } from '../../src/util/errors.js';
import { handInventory } from './hand-inventory.js';
import { tempStore, type TempStore } from './support.js';

const T0 = 1_795_000_000 - (1_795_000_000 % 3600);
const base = { account_id: '111111111111', protocol: 6, packets: 3, bytes: 300, start: T0, end: T0 + 60 };
const RECORDS = [
  { ...base, interface_id: 'eni-web2', direction: 'egress', src_addr: '10.0.1.11', dst_addr: '10.0.2.20', src_port: 40000, dst_port: 8080, action: 'ACCEPT', rule_id: 'sg-web/to-app' },
  { ...base, interface_id: 'eni-app', direction: 'ingress', src_addr: '10.0.1.11', dst_addr: '10.0.2.20', src_port: 40000, dst_port: 8080, action: 'ACCEPT', rule_id: 'sg-app/api' },
  { ...base, interface_id: 'eni-app', direction: 'egress', src_addr: '10.0.2.20', dst_addr: '10.0.1.11', src_port: 8080, dst_port: 40000, action: 'REJECT', rule_id: 'acl-b/90' },
];

let ts: TempStore;
before(async () => {
  ts = await tempStore([FlowBatch.fromRecords(RECORDS)]);
  await saveInventory(ts.dir, handInventory(), 'hand inventory');
});
after(async () => ts.close());

function sink(): { s: Writable; text: () => string } {
  let buf = '';
  return {
    s: new Writable({
      write(chunk, _enc, cb) {
        buf += String(chunk);
        cb();
      },
    }),
    text: () => buf,
  };
}

async function run(verb: typeof diagnoseVerb, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await verb.run([...args, '--data', ts.dir, '--from', String(T0), '--to', String(T0 + 3600)], { out: out.s, err: err.s });
  return { code, out: out.text(), err: err.text() };
}

test('flowlogs diagnose --format json: reachable, blocked_by, hops, and the records in the range', async () => {
  const r = await run(diagnoseVerb, ['--src', 'i-web2', '--dst', 'eni-app', '--port', '8080', '--format', 'json']);
  assert.equal(r.code, 0);
  const d = JSON.parse(r.out);
  assert.equal(d.reachable, false);
  assert.equal(d.blocked_by, 'acl-b');
  assert.equal(d.hops.length, 8);
  assert.deepEqual([d.observed.request.accept, d.observed.reply.reject], [2, 1]);
});

test('flowlogs diagnose as a table: the summary, every hop, the records and the change to make', async () => {
  const r = await run(diagnoseVerb, ['--src', 'eni-web2', '--dst', '10.0.2.20', '--port', '8080']);
  assert.match(r.out, /^10\.0\.1\.11 \(eni-web2, i-web2\) cannot reach 10\.0\.2\.20:8080\/tcp on 10\.0\.2\.20 \(eni-app, i-app\): the request gets through but the reply is refused at dst_acl_egress by acl-b — #90 deny tcp 32768-65535 to 10\.0\.1\.11\/32$/m);
  assert.match(r.out, /dst_acl_egress +eni-app +49152 +REJECT +acl-b +90: #90 deny tcp 32768-65535 to 10\.0\.1\.11\/32/);
  assert.match(r.out, /src_acl_ingress +eni-web2 +49152 +ACCEPT \(not reached\) +acl-a +120: /);
  assert.match(r.out, /the records agree: 1 rejected/);
  assert.match(r.out, /add to acl-b egress: #89 allow tcp 32768-65535 to 10\.0\.1\.11\/32 +\(touches 5 interfaces\)/);
  assert.match(r.err, /^evidence: flowlogs query 'protocol:6 AND/);
});

test('flowlogs policy propose prints AWS JSON; storms says there is none', async () => {
  const aws = JSON.parse((await run(policyVerb, ['propose', '--group', 'sg-app', '--format', 'aws'])).out);
  assert.deepEqual(aws.SecurityGroups[0].IpPermissions[0].UserIdGroupPairs.map((g: { GroupId: string }) => g.GroupId), ['sg-web']);
  const hits = await run(policyVerb, ['hits', '--id', 'acl-b']);
  assert.match(hits.out, /^3 flows replayed through the inventory/);
  assert.match(hits.out, /acl-b\/90 +egress +#90 deny tcp 32768-65535 to 10\.0\.1\.11\/32 +1 +1 /);
  assert.match((await run(stormsVerb, [])).out, /no storm/);
});

test('bad usage is an input error naming the flag', async () => {
  const bad = async (verb: typeof diagnoseVerb, args: string[], re: RegExp) => assert.rejects(run(verb, args), (e: unknown) => isInputError(e) && re.test((e as Error).message));
  await bad(diagnoseVerb, ['--src', 'eni-web'], /--src and --dst are required/);
  await bad(diagnoseVerb, ['--src', 'eni-web', '--dst', 'eni-app'], /--port is required/);
  await bad(policyVerb, ['tighten'], /expected one of hits, unused, broad, propose/);
  await bad(policyVerb, ['propose'], /--group SG is required/);
  assert.deepEqual(ANSWER_VERBS.map((v) => v.name), ['storms', 'hogs', 'policy', 'baseline', 'capacity', 'regions']);
});
