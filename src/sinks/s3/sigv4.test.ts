import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_SHA256, signV4, uriEncode } from './sigv4.js';

// AWS's worked example "GET Object" (Amazon S3 API reference, "Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk").
test('SigV4 reproduces AWS’s published example signature', () => {
  const h = signV4(
    { method: 'GET', path: '/test.txt', headers: { Host: 'examplebucket.s3.amazonaws.com', Range: 'bytes=0-9' }, payloadSha256: EMPTY_SHA256 },
    { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    'us-east-1',
    's3',
    new Date('2013-05-24T00:00:00Z'),
  );
  assert.equal(
    h.authorization,
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  );
  assert.equal(h['x-amz-date'], '20130524T000000Z');
});

test('keys are percent-encoded as SigV4 requires, keeping slashes in paths', () => {
  assert.equal(uriEncode('year=2024/a b+c~d.txt', true), 'year%3D2024/a%20b%2Bc~d.txt');
  assert.equal(uriEncode('a/b'), 'a%2Fb');
});
