import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../test/support/paths.js';
import { isInputError } from '../util/errors.js';
import { flowlogVerb } from './flowlog.js';
import { inventoryVerb } from './inventory.js';
import { captureIo } from '../../test/support/io.js';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'inventory');


test('inventory import (Tencent describe outputs) then show; flow logs are checked against it', async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-inv-cli-'));
  const files = fs.readdirSync(path.join(FIXTURES, 'tencent')).map((f) => path.join(FIXTURES, 'tencent', f));
  const imp = captureIo();
  assert.equal(await inventoryVerb.run(['import', ...files, '--account', '100012345678', '--data', data], imp.io), 0);
  assert.match(imp.out(), /^1 VPCs, 2 subnets, 2 ENIs, 2 security groups, 2 network ACLs imported into /);
  assert.match(imp.err(), /DescribeSecurityGroupPolicies.sg-k2dy6f7n.json: tencent DescribeSecurityGroupPolicies/);
  assert.match(imp.err(), /note: sg-k2dy6f7n ingress policy 3 uses a parameter template/);

  const show = captureIo();
  assert.equal(await inventoryVerb.run(['show', '--data', data], show.io), 0);
  assert.match(show.out(), /eni-6m2xpr4k\s+52:54:00:6d:be:5a\s+172\.16\.1\.17 106\.52\.33\.183\s+subnet-ks7p3q2d\s+ins-8dkw2fo1\s+sg-k2dy6f7n/);
  const json = captureIo();
  await inventoryVerb.run(['show', '--data', data, '--format', 'json'], json.io);
  assert.equal(JSON.parse(json.out()).vpcs[0].account_id, '100012345678');

  const created = captureIo();
  assert.equal(await flowlogVerb.run(['create', '--scope', 'subnet-9v4c1m8x', '--name', 'data', '--window', '1m', '--data', data, '--format', 'json'], created.io), 0);
  assert.equal(JSON.parse(created.out()).scope_type, 'subnet', 'the type comes from the inventory');
  await assert.rejects(flowlogVerb.run(['create', '--scope', 'subnet-9v4c1m8', '--data', data], captureIo().io), (e: Error) => isInputError(e) && /did you mean 'subnet-9v4c1m8x'/.test(e.message));
  const list = captureIo();
  await flowlogVerb.run(['list', '--data', data], list.io);
  assert.match(list.out(), /fl-[0-9a-f]{17}\s+data\s+subnet subnet-9v4c1m8x\s+ALL\s+60s\s+store\s+yes/);
  await flowlogVerb.run(['update', 'data', '--traffic-type', 'reject', '--destination', 'store,siem', '--data', data], captureIo().io);
  await flowlogVerb.run(['disable', 'data', '--data', data], captureIo().io);
  const shown = captureIo();
  await flowlogVerb.run(['show', 'data', '--data', data, '--format', 'json'], shown.io);
  const fl = JSON.parse(shown.out());
  assert.deepEqual([fl.traffic_type, fl.destinations, fl.enabled], ['REJECT', ['store', 'siem'], false]);
  await flowlogVerb.run(['delete', fl.id, '--data', data], captureIo().io);
  const empty = captureIo();
  await flowlogVerb.run(['list', '--data', data, '--format', 'json'], empty.io);
  assert.deepEqual(JSON.parse(empty.out()), []);
});

test('inventory import refuses an incomplete set of describe outputs and keeps the previous inventory', async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-inv-cli-'));
  const aws = fs.readdirSync(path.join(FIXTURES, 'aws')).map((f) => path.join(FIXTURES, 'aws', f));
  assert.equal(await inventoryVerb.run(['import', ...aws, '--format', 'aws', '--data', data], captureIo().io), 0);
  await assert.rejects(
    inventoryVerb.run(['import', ...aws.filter((f) => !f.includes('security-groups')), '--data', data], captureIo().io),
    (e: Error) => isInputError(e) && /uses security group sg-0d1e2f3a4b5c6d7e8, which no imported file describes \(add the describe-security-groups output\)/.test(e.message),
  );
  const json = captureIo();
  await inventoryVerb.run(['show', '--data', data, '--format', 'json'], json.io);
  assert.equal(JSON.parse(json.out()).enis.length, 3);
  await assert.rejects(inventoryVerb.run(['show', '--data', fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-empty-'))], captureIo().io), (e: Error) => isInputError(e));
});
