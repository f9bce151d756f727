import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { testdata } from '../../../test/support/paths.js';
import { detectFormat } from './detect-format.js';

test('each sample file is recognised as the cloud that wrote it, from its content alone', () => {
  const cases: [string[], string][] = [
    [['elastic-integrations', 'aws', 'test-extra-samples.log'], 'aws'],
    [['elastic-integrations', 'aws', 'test-v5-all-fields.log'], 'aws'],
    [['elastic-integrations', 'aws', 'test-ecs-samples.log'], 'aws'],
    [['elastic-integrations', 'aws', 'test-v8-samples.log'], 'aws'],
    [['elastic-integrations', 'aws', 'test-with-message-field.log'], 'aws'],
    [['elastic-integrations', 'azure', 'test-nsg.log'], 'azure'],
    [['elastic-integrations', 'azure', 'test-vnet.log'], 'azure'],
    [['elastic-integrations', 'gcp', 'vpcflow-first7.ndjson'], 'gcp'],
    [['azure-docs', 'nsg-flowlog-v2.PT1H.json'], 'azure'],
    [['tencent-cloud-docs', 'flowlog-samples.log'], 'tencent'],
    [['foxsec-pipeline', 'exfiltration1.txt'], 'gcp'],
  ];
  for (const [parts, want] of cases) assert.equal(detectFormat(fs.readFileSync(testdata(...parts)))?.format, want, parts.join('/'));
});

test('documents that are not flow logs are not taken for one', () => {
  for (const parts of [
    ['elastic-integrations', 'README.md'],
    ['azure-docs', 'nsg-flowlog-v2.expected-facts.json'],
    ['elastic-integrations', 'expected', 'aws-test-extra-samples.expected-facts.json'],
  ])
    assert.equal(detectFormat(fs.readFileSync(testdata(...parts))), undefined, parts.join('/'));
});

test('Parquet is recognised by its magic bytes', () => {
  assert.deepEqual(detectFormat(Buffer.from('PAR1\x15\x04')), { format: 'aws', container: 'parquet' });
});
