import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tempStore, type TempStore } from '../../test/answers/support.js';
import { FlowBatch } from '../schema/batch.js';
import { regions } from './regions.js';

const T0 = 1_795_000_000 - (1_795_000_000 % 3600);
const MID = T0 + 1800;
const r = (o: Record<string, string | number>) => ({ account_id: '1', vpc_id: 'vpc-1', subnet_id: 'subnet-a', interface_id: 'eni-web', protocol: 6, packets: 1, action: 'ACCEPT', ...o });
const RECORDS = [
  // Two users in London on HTTPS, the first in the first half, the second in the second.
  ...[0, 1, 2].map((k) => r({ direction: 'ingress', src_addr: '81.2.69.160', dst_addr: '10.0.1.10', src_port: 50000 + k, dst_port: 443, src_country: 'GB', src_city: 'London', src_asn: 20712, bytes: 100, start: T0 + 60 * k, end: T0 + 60 * k + 60 })),
  r({ direction: 'ingress', src_addr: '81.2.69.161', dst_addr: '10.0.1.10', src_port: 50100, dst_port: 443, src_country: 'GB', src_city: 'London', src_asn: 20712, bytes: 100, start: MID + 60, end: MID + 120 }),
  // One user in Sydney, second half only.
  ...[0, 1].map((k) => r({ direction: 'ingress', src_addr: '1.1.1.1', dst_addr: '10.0.1.10', src_port: 50200 + k, dst_port: 443, src_country: 'AU', src_city: 'Sydney', src_asn: 13335, bytes: 500, start: MID + 120 * k, end: MID + 120 * k + 60 })),
  // The answer to a London user, sent by the web server: the same user, counted once.
  r({ direction: 'egress', src_addr: '10.0.1.10', dst_addr: '81.2.69.160', src_port: 443, dst_port: 50000, dst_country: 'GB', dst_city: 'London', dst_asn: 20712, bytes: 1000, start: T0, end: T0 + 60 }),
  // The app server asks a resolver in Mountain View (not a user of port 443).
  r({ interface_id: 'eni-app', subnet_id: 'subnet-b', direction: 'egress', src_addr: '10.0.2.20', dst_addr: '8.8.8.8', protocol: 17, src_port: 40000, dst_port: 53, dst_country: 'US', dst_city: 'Mountain View', dst_asn: 15169, bytes: 50, start: T0, end: T0 + 60 }),
  // Another VPC's visitor from Berlin.
  r({ vpc_id: 'vpc-2', subnet_id: 'subnet-x', interface_id: 'eni-x', direction: 'ingress', src_addr: '85.214.132.117', dst_addr: '10.9.0.5', src_port: 50300, dst_port: 443, src_country: 'DE', src_city: 'Berlin', src_asn: 6724, bytes: 70, start: T0, end: T0 + 60 }),
  // Inside traffic has no country and is no one's region.
  r({ direction: 'ingress', src_addr: '10.0.2.20', dst_addr: '10.0.1.10', src_port: 8080, dst_port: 40000, bytes: 9999, start: T0, end: T0 + 60 }),
];

let ts: TempStore;
before(async () => {
  ts = await tempStore([FlowBatch.fromRecords(RECORDS)]);
});
after(async () => ts.close());

const input = () => ({ store: ts.store, range: { from: T0, to: T0 + 3600 } });

test('by country: users, bytes, flows and the trend between the two halves', async () => {
  const x = await regions(input(), { by: 'country' });
  assert.deepEqual(x.total, { users: 5, bytes: 100 * 4 + 1000 + 500 * 2 + 50 + 70, flows: 9 });
  assert.deepEqual(
    x.rows.map((y) => [y.country, y.users, y.bytes, y.flows, y.first_half, y.second_half, y.trend_pct]),
    [
      ['GB', 2, 1400, 5, { users: 1, bytes: 1300 }, { users: 1, bytes: 100 }, -92.3],
      ['AU', 1, 1000, 2, { users: 0, bytes: 0 }, { users: 1, bytes: 1000 }, null],
      ['DE', 1, 70, 1, { users: 1, bytes: 70 }, { users: 0, bytes: 0 }, -100],
      ['US', 1, 50, 1, { users: 1, bytes: 50 }, { users: 0, bytes: 0 }, -100],
    ],
  );
});

test('for a service port and a VPC, by city and by AS', async () => {
  const port = await regions(input(), { by: 'city', port: 443, vpc: 'vpc-1' });
  assert.deepEqual(port.rows.map((y) => [y.country, y.city, y.users, y.bytes]), [
    ['GB', 'London', 2, 1400],
    ['AU', 'Sydney', 1, 1000],
  ]);
  const asn = await regions(input(), { by: 'asn', subnet: 'subnet-b' });
  assert.deepEqual(asn.rows.map((y) => [y.asn, y.country, y.users]), [[15169, 'US', 1]]);
  assert.match(asn.evidence.query, /subnet_id:subnet-b/);
  await assert.rejects(regions(input(), { by: 'planet' as never }), /by must be one of country, city, asn/);
});
