import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FieldTest, FilterNode, IpWords } from './ast.js';
import { QuerySyntaxError } from './errors.js';
import { MAX_DEPTH, MAX_QUERY_LENGTH } from './limits.js';
import { andFilters, exactFilter, parseFilter, parseQuery } from './parse.js';

const M = 0xffff; // IPv4-mapped marker word
const v4 = (a: number, b: number, c: number, d: number): IpWords => [0, 0, M, ((a << 24) | (b << 16) | (c << 8) | d) >>> 0];
const num = (value: number) => ({ kind: 'num' as const, value });
const str = (value: string) => ({ kind: 'str' as const, value });
const ip = (words: IpWords) => ({ kind: 'ip' as const, words });
const t = (field: string, test: FieldTest, pos: number): FilterNode => ({ kind: 'test', field: field as never, test, pos });
const eq = (field: string, value: ReturnType<typeof num | typeof str | typeof ip>, pos: number) => t(field, { op: 'eq', value }, pos);

function rejects(text: string, column: number, message: RegExp): void {
  assert.throws(
    () => parseQuery(text),
    (e: unknown) => {
      assert.ok(e instanceof QuerySyntaxError, `not a QuerySyntaxError: ${String(e)}`);
      assert.equal(e.column, column, `column of ${JSON.stringify(text.slice(0, 60))}: ${e.message}`);
      assert.equal(e.position, column - 1);
      assert.match(e.message, message);
      assert.ok(e.message.startsWith(`col ${column}: `));
      return true;
    },
  );
}

test('the empty query matches every flow', () => {
  assert.deepEqual(parseQuery('').filter, { kind: 'all' });
  assert.deepEqual(parseQuery('  \t\n ').filter, { kind: 'all' });
  assert.deepEqual(parseQuery('| SELECT count(*)').filter, { kind: 'all' });
  assert.equal(parseQuery('').select, undefined);
});

test('field:value on each kind of field gives a typed value', () => {
  assert.deepEqual(parseFilter('dst_port:22'), eq('dst_port', num(22), 0));
  assert.deepEqual(parseFilter('interface_id:eni-0a1b'), eq('interface_id', str('eni-0a1b'), 0));
  assert.deepEqual(parseFilter('src_addr:10.0.0.1'), eq('src_addr', ip(v4(10, 0, 0, 1)), 0));
  assert.deepEqual(parseFilter('dst_addr:2001:db8::1'), eq('dst_addr', ip([0x20010db8, 0, 0, 1]), 0));
  assert.deepEqual(parseFilter('src_mac:00:1b:21:3c:4d:5e'), eq('src_mac', num(0x001b213c4d5e), 0));
  assert.deepEqual(parseFilter('bytes:9007199254740991'), eq('bytes', num(Number.MAX_SAFE_INTEGER), 0));
  // Field names are matched regardless of case.
  assert.deepEqual(parseFilter('DST_PORT:22'), eq('dst_port', num(22), 0));
});

test('enum values are case-insensitive and come out in their canonical case', () => {
  assert.deepEqual(parseFilter('action:reject'), eq('action', str('REJECT'), 0));
  assert.deepEqual(parseFilter('direction:EGRESS'), eq('direction', str('egress'), 0));
  assert.deepEqual(parseFilter('log_status:NoData'), eq('log_status', str('NODATA'), 0));
});

test('protocol names stand for their IANA numbers', () => {
  assert.deepEqual(parseFilter('protocol:tcp'), eq('protocol', num(6), 0));
  assert.deepEqual(parseFilter('protocol:UDP'), eq('protocol', num(17), 0));
  assert.deepEqual(parseFilter('protocol:icmpv6'), eq('protocol', num(58), 0));
});

test('times accept unix seconds, ISO-8601, and milliseconds for *_ms fields', () => {
  assert.deepEqual(parseFilter('start:>=2026-01-01T00:00:00Z'), t('start', { op: 'cmp', cmp: '>=', value: num(1767225600) }, 0));
  assert.deepEqual(parseFilter('start:1767225600'), eq('start', num(1767225600), 0));
  assert.deepEqual(parseFilter('first_ms:<2026-01-01T00:00:00.250Z'), t('first_ms', { op: 'cmp', cmp: '<', value: num(1767225600000) }, 0));
});

test('quoted values keep spaces, escaped quotes and literal wildcards', () => {
  assert.deepEqual(parseFilter('rule_id:"allow ssh \\"admin\\""'), eq('rule_id', str('allow ssh "admin"'), 0));
  assert.deepEqual(parseFilter('interface_id:"eni-*"'), eq('interface_id', str('eni-*'), 0));
  assert.deepEqual(parseFilter('threat:""'), eq('threat', str(''), 0));
  assert.deepEqual(parseFilter('interface_id:"a|b"'), eq('interface_id', str('a|b'), 0));
  // A backslash escapes a wildcard or a special character outside quotes too.
  assert.deepEqual(parseFilter('interface_id:eni\\*'), eq('interface_id', str('eni*'), 0));
  assert.deepEqual(parseFilter('interface_id:a\\(b\\)'), eq('interface_id', str('a(b)'), 0));
});

test('CIDR blocks on address fields, IPv4 and IPv6, host bits ignored', () => {
  assert.deepEqual(parseFilter('src_addr:10.0.0.0/16'), t('src_addr', { op: 'cidr', lo: v4(10, 0, 0, 0), hi: v4(10, 0, 255, 255), bits: 112 }, 0));
  assert.deepEqual(parseFilter('dst_addr:192.168.1.77/24'), t('dst_addr', { op: 'cidr', lo: v4(192, 168, 1, 0), hi: v4(192, 168, 1, 255), bits: 120 }, 0));
  assert.deepEqual(parseFilter('src_addr:2001:db8::/32'), t('src_addr', { op: 'cidr', lo: [0x20010db8, 0, 0, 0], hi: [0x20010db8, 0xffffffff, 0xffffffff, 0xffffffff], bits: 32 }, 0));
  assert.deepEqual(parseFilter('exporter:0.0.0.0/0'), t('exporter', { op: 'cidr', lo: v4(0, 0, 0, 0), hi: v4(255, 255, 255, 255), bits: 96 }, 0));
});

test('a bare address or CIDR matches either end of the flow', () => {
  const either = (test: FieldTest, pos: number): FilterNode => ({ kind: 'or', items: [t('src_addr', test, pos), t('dst_addr', test, pos)] });
  assert.deepEqual(parseFilter('10.1.2.3'), either({ op: 'eq', value: ip(v4(10, 1, 2, 3)) }, 0));
  assert.deepEqual(parseFilter('fe80::1'), either({ op: 'eq', value: ip([0xfe800000, 0, 0, 1]) }, 0));
  assert.deepEqual(parseFilter('action:REJECT 172.16.0.0/12'), {
    kind: 'and',
    items: [eq('action', str('REJECT'), 0), either({ op: 'cidr', lo: v4(172, 16, 0, 0), hi: v4(172, 31, 255, 255), bits: 108 }, 14)],
  });
});

test('comparisons: >, >=, <, <= on numbers and addresses', () => {
  assert.deepEqual(parseFilter('bytes:>1000000'), t('bytes', { op: 'cmp', cmp: '>', value: num(1000000) }, 0));
  assert.deepEqual(parseFilter('bytes:>=5'), t('bytes', { op: 'cmp', cmp: '>=', value: num(5) }, 0));
  assert.deepEqual(parseFilter('packets:<3'), t('packets', { op: 'cmp', cmp: '<', value: num(3) }, 0));
  assert.deepEqual(parseFilter('dst_port:<=1023'), t('dst_port', { op: 'cmp', cmp: '<=', value: num(1023) }, 0));
  assert.deepEqual(parseFilter('src_addr:>10.0.0.5'), t('src_addr', { op: 'cmp', cmp: '>', value: ip(v4(10, 0, 0, 5)) }, 0));
});

test('ranges: [ ] includes a bound, { } excludes it, * leaves it open', () => {
  const b = (value: number, inclusive: boolean) => ({ value: num(value), inclusive });
  assert.deepEqual(parseFilter('dst_port:[1024 TO 65535]'), t('dst_port', { op: 'range', low: b(1024, true), high: b(65535, true) }, 0));
  assert.deepEqual(parseFilter('dst_port:{1024 TO 2048}'), t('dst_port', { op: 'range', low: b(1024, false), high: b(2048, false) }, 0));
  assert.deepEqual(parseFilter('dst_port:[1024 TO 2048}'), t('dst_port', { op: 'range', low: b(1024, true), high: b(2048, false) }, 0));
  assert.deepEqual(parseFilter('bytes:[1000 TO *]'), t('bytes', { op: 'range', low: b(1000, true) }, 0));
  assert.deepEqual(parseFilter('bytes:[* to 10]'), t('bytes', { op: 'range', high: b(10, true) }, 0));
  assert.deepEqual(parseFilter('start:[2026-01-01T00:00:00Z TO 2026-01-01T01:00:00Z}'), t('start', { op: 'range', low: b(1767225600, true), high: b(1767229200, false) }, 0));
  assert.deepEqual(parseFilter('src_addr:[10.0.0.1 TO 10.0.0.9]'), t('src_addr', { op: 'range', low: { value: ip(v4(10, 0, 0, 1)), inclusive: true }, high: { value: ip(v4(10, 0, 0, 9)), inclusive: true } }, 0));
});

test('wildcards on text fields: * any run, ? one character', () => {
  assert.deepEqual(parseFilter('interface_id:eni-*'), t('interface_id', { op: 'glob', parts: [{ literal: 'eni-' }, { any: true }] }, 0));
  assert.deepEqual(parseFilter('vpc_id:*prod?'), t('vpc_id', { op: 'glob', parts: [{ any: true }, { literal: 'prod' }, { one: true }] }, 0));
  assert.deepEqual(parseFilter('rule_id:a\\*b*'), t('rule_id', { op: 'glob', parts: [{ literal: 'a*b' }, { any: true }] }, 0));
});

test('value groups: (a OR b), AND, NOT and nesting inside the parentheses', () => {
  assert.deepEqual(parseFilter('dst_port:(22 OR 3389)'), { kind: 'or', items: [eq('dst_port', num(22), 10), eq('dst_port', num(3389), 16)] });
  assert.deepEqual(parseFilter('dst_port:(>1024 AND <2048)'), {
    kind: 'and',
    items: [t('dst_port', { op: 'cmp', cmp: '>', value: num(1024) }, 10), t('dst_port', { op: 'cmp', cmp: '<', value: num(2048) }, 20)],
  });
  assert.deepEqual(parseFilter('action:(NOT reject)'), { kind: 'not', item: eq('action', str('REJECT'), 12) });
  assert.deepEqual(parseFilter('dst_port:(22 OR (80 OR 443))'), {
    kind: 'or',
    items: [eq('dst_port', num(22), 10), { kind: 'or', items: [eq('dst_port', num(80), 17), eq('dst_port', num(443), 23)] }],
  });
  assert.deepEqual(parseFilter('src_addr:(10.0.0.0/8 or 192.168.0.0/16)'), {
    kind: 'or',
    items: [
      t('src_addr', { op: 'cidr', lo: v4(10, 0, 0, 0), hi: v4(10, 255, 255, 255), bits: 104 }, 10),
      t('src_addr', { op: 'cidr', lo: v4(192, 168, 0, 0), hi: v4(192, 168, 255, 255), bits: 112 }, 24),
    ],
  });
});

test('AND binds tighter than OR; juxtaposition is AND; NOT, - and ! negate', () => {
  const a = eq('action', str('REJECT'), 0);
  assert.deepEqual(parseFilter('action:REJECT OR dst_port:22 protocol:6'), {
    kind: 'or',
    items: [a, { kind: 'and', items: [eq('dst_port', num(22), 17), eq('protocol', num(6), 29)] }],
  });
  assert.deepEqual(parseFilter('action:REJECT and dst_port:22'), { kind: 'and', items: [a, eq('dst_port', num(22), 18)] });
  assert.deepEqual(parseFilter('(action:REJECT OR dst_port:22) protocol:6'), {
    kind: 'and',
    items: [{ kind: 'or', items: [eq('action', str('REJECT'), 1), eq('dst_port', num(22), 18)] }, eq('protocol', num(6), 31)],
  });
  assert.deepEqual(parseFilter('NOT protocol:1'), { kind: 'not', item: eq('protocol', num(1), 4) });
  assert.deepEqual(parseFilter('-protocol:1'), { kind: 'not', item: eq('protocol', num(1), 1) });
  assert.deepEqual(parseFilter('!protocol:1'), { kind: 'not', item: eq('protocol', num(1), 1) });
  assert.deepEqual(parseFilter('not not protocol:1'), { kind: 'not', item: { kind: 'not', item: eq('protocol', num(1), 8) } });
  assert.deepEqual(parseFilter('-(protocol:1 OR protocol:58)'), {
    kind: 'not',
    item: { kind: 'or', items: [eq('protocol', num(1), 2), eq('protocol', num(58), 16)] },
  });
  assert.deepEqual(parseFilter('-10.0.0.0/8'), {
    kind: 'not',
    item: {
      kind: 'or',
      items: [
        t('src_addr', { op: 'cidr', lo: v4(10, 0, 0, 0), hi: v4(10, 255, 255, 255), bits: 104 }, 1),
        t('dst_addr', { op: 'cidr', lo: v4(10, 0, 0, 0), hi: v4(10, 255, 255, 255), bits: 104 }, 1),
      ],
    },
  });
});

test('the example from the design parses as it reads', () => {
  const f = parseFilter('src_addr:10.0.0.0/16 AND dst_port:(22 OR 3389) AND action:REJECT NOT protocol:1');
  assert.deepEqual(f, {
    kind: 'and',
    items: [
      t('src_addr', { op: 'cidr', lo: v4(10, 0, 0, 0), hi: v4(10, 0, 255, 255), bits: 112 }, 0),
      { kind: 'or', items: [eq('dst_port', num(22), 35), eq('dst_port', num(3389), 41)] },
      eq('action', str('REJECT'), 51),
      { kind: 'not', item: eq('protocol', num(1), 69) },
    ],
  });
});

test('the SQL part starts at the first | outside quotes', () => {
  const q = parseQuery('interface_id:"x|y" | SELECT count(*)');
  assert.deepEqual(q.filter, eq('interface_id', str('x|y'), 0));
  assert.equal(q.select?.items[0].name, 'count(*)');
});

test('exact filters (tenant scopes) become a filter tree', () => {
  assert.deepEqual(exactFilter([]), { kind: 'all' });
  assert.deepEqual(exactFilter([{ field: 'account_id', values: ['a', 'b'] }, { field: 'action', values: ['reject'] }]), {
    kind: 'and',
    items: [{ kind: 'or', items: [eq('account_id', str('a'), 0), eq('account_id', str('b'), 0)] }, eq('action', str('REJECT'), 0)],
  });
  assert.throws(() => exactFilter([{ field: 'dst_port', values: ['ssh'] }]), /dst_port: 'ssh' is not a whole number/);
  assert.throws(() => exactFilter([{ field: 'nope', values: ['1'] }]), /unknown field 'nope'/);
  const a = eq('action', str('REJECT'), 0);
  assert.deepEqual(andFilters({ kind: 'all' }, a), a);
  assert.deepEqual(andFilters(a, { kind: 'all' }), a);
  assert.deepEqual(andFilters(a, a), { kind: 'and', items: [a, a] });
});

test('unknown fields are located and a near name is suggested', () => {
  rejects('scr_addr:10.0.0.1', 1, /unknown field 'scr_addr', did you mean 'src_addr'\?$/);
  rejects('NOT scr_addr:10.0.0.1', 5, /unknown field 'scr_addr', did you mean 'src_addr'\?/);
  rejects('action:REJECT dstport:22', 15, /unknown field 'dstport', did you mean 'dst_port'\?/);
  rejects('zzzzzzzzzz:1', 1, /^col 1: unknown field 'zzzzzzzzzz'$/);
});

test('free text is refused with a hint', () => {
  rejects('hello', 1, /'hello' is not a filter: write field:value.*free-text search is not supported/);
  rejects('action:REJECT scr_addr', 15, /'scr_addr' is not a filter: write field:value \(did you mean 'src_addr:…'\?\)/);
  rejects('"some text"', 1, /free-text search is not supported/);
  rejects('fe80::zz', 1, /'fe80::zz' is not an IP address or CIDR block/);
});

test('values that do not fit the field are located at the value', () => {
  rejects('action:rejct', 8, /action: 'rejct' is not one of ACCEPT, REJECT, did you mean 'REJECT'\?/);
  rejects('dst_port:http', 10, /dst_port: 'http' is not a whole number/);
  rejects('dst_port:70000', 10, /dst_port: 70000 is out of range \(0-65535\)/);
  rejects('protocol:256', 10, /protocol: 256 is out of range \(0-255\)/);
  rejects('bytes:99999999999999999999', 7, /bytes: 99999999999999999999 is out of range/);
  rejects('src_addr:10.0.0.300', 10, /src_addr: '10.0.0.300' is not an IP address/);
  rejects('src_addr:10.0.0.0/33', 10, /src_addr: '10.0.0.0\/33' is not a CIDR block/);
  rejects('src_mac:00:11', 9, /src_mac: '00:11' is not a MAC address/);
  rejects('start:>yesterday', 8, /start: 'yesterday' is not a time/);
  rejects('dst_port:(22 OR x)', 17, /dst_port: 'x' is not a whole number/);
  rejects('dst_port:[1 TO x]', 16, /dst_port: 'x' is not a whole number/);
});

test('wildcards, comparisons and CIDRs only where they make sense', () => {
  rejects('dst_port:22*', 10, /wildcards apply only to text fields; 'dst_port' is a number/);
  rejects('action:REJ*', 8, /wildcards apply only to text fields; 'action' is one of ACCEPT, REJECT/);
  rejects('src_addr:10.*', 10, /wildcards apply only to text fields; 'src_addr' is an address/);
  rejects('interface_id:>eni-1', 15, /comparisons and ranges apply to numbers, times and addresses; 'interface_id' is text/);
  rejects('action:[ACCEPT TO REJECT]', 9, /'action' is text/);
  rejects('src_addr:>10.0.0.0/8', 11, /a CIDR block cannot be a bound/);
});

test('structural mistakes are located', () => {
  rejects('dst_port:', 10, /expected a value after 'dst_port:'/);
  rejects('dst_port: 22', 10, /expected a value after 'dst_port:'/);
  rejects('(action:REJECT', 1, /'\(' is never closed/);
  rejects('action:REJECT)', 14, /unexpected '\)' with no '\(' before it/);
  rejects('()', 1, /empty parentheses/);
  rejects('dst_port:()', 10, /empty value list after 'dst_port:'/);
  rejects('dst_port:(22 23)', 14, /expected OR, AND or '\)' between values/);
  rejects('dst_port:(22 OR', 16, /expected a value for 'dst_port'/);
  rejects('dst_port:[1 2]', 13, /expected TO in the range/);
  rejects('dst_port:[1 TO 2', 10, /expected '\]' or '\}' to close the range/);
  rejects('dst_port:[* TO *]', 10, /a range needs at least one bound/);
  rejects('dst_port:[TO 5]', 11, /expected a bound in the range/);
  rejects('rule_id:"abc', 9, /unterminated quoted value/);
  rejects('action:REJECT AND', 18, /expected a filter term \(field:value\) at the end of the query/);
  rejects('OR action:REJECT', 1, /'OR' needs a filter term before it/);
  rejects('NOT', 4, /expected a filter term/);
  rejects('action:REJECT AND | SELECT 1', 19, /expected a filter term before '\|'/);
  rejects('(action:REJECT | SELECT 1)', 1, /'\(' is never closed/);
  rejects('[1 TO 2]', 1, /unexpected '\['/);
  assert.throws(() => parseFilter('action:REJECT | SELECT count(*)'), /col 15: a filter cannot have an SQL part/);
});

test('deep nesting is refused at the limit instead of overflowing the stack', () => {
  rejects('('.repeat(10_000) + 'dst_port:22' + ')'.repeat(10_000), MAX_DEPTH + 1, new RegExp(`nesting deeper than ${MAX_DEPTH} levels`));
  rejects('NOT '.repeat(10_000) + 'dst_port:22', MAX_DEPTH * 4 + 1, /nesting deeper than/);
  rejects('-'.repeat(10_000) + 'dst_port:22', MAX_DEPTH + 1, /nesting deeper than/);
  rejects('dst_port:' + '('.repeat(10_000) + '22' + ')'.repeat(10_000), 10 + MAX_DEPTH, /nesting deeper than/);
  // Just under the limit is fine.
  const ok = parseFilter('('.repeat(MAX_DEPTH) + 'dst_port:22' + ')'.repeat(MAX_DEPTH));
  assert.deepEqual(ok, eq('dst_port', num(22), MAX_DEPTH));
  // Long flat chains are not nesting.
  const many = parseFilter(Array.from({ length: 5000 }, (_, i) => `dst_port:${i}`).join(' OR '));
  assert.equal(many.kind === 'or' && many.items.length, 5000);
});

test('NUL characters and oversized queries are refused', () => {
  rejects('interface_id:"a\0b"', 16, /NUL characters are not allowed/);
  rejects('x'.repeat(MAX_QUERY_LENGTH + 1), MAX_QUERY_LENGTH + 1, /longer than/);
});
