import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { testdata } from '../../../test/support/paths.js';
import { CaptureFormatError, CaptureStats, readCapture, readCaptureFile, type CapturedPacket } from './capture.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-capture-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function collect(buf: Uint8Array, stats = new CaptureStats()): CapturedPacket[] {
  return [...readCapture(buf, stats)];
}

function sameBytes(a: Uint8Array, b: Uint8Array, msg?: string) {
  assert.equal(Buffer.compare(a, b), 0, msg);
}

async function collectFile(file: string, stats = new CaptureStats()): Promise<CapturedPacket[]> {
  const out: CapturedPacket[] = [];
  for await (const p of readCaptureFile(file, stats)) out.push(p);
  return out;
}

const overflowd = testdata('overflowd', 'sflow.pcap');
const data1140 = testdata('akvorado', 'sflow', 'data-1140.pcap');

describe('classic pcap', () => {
  it('reads the 1000 datagrams of the overflowd capture, all within its capture window', async () => {
    const stats = new CaptureStats();
    const pkts = collect(fs.readFileSync(overflowd), stats);
    const summary = JSON.parse(fs.readFileSync(testdata('overflowd', 'expected', 'sflow.summary.wireshark.json'), 'utf8'));
    assert.equal(pkts.length, summary.datagrams);
    assert.equal(stats.format, 'pcap');
    assert.equal(stats.truncated, false);
    assert.equal(stats.corrupt, '');
    // README: captured 2011-04-08 23:45-23:47 UTC.
    const from = Date.UTC(2011, 3, 8, 23, 45);
    const to = Date.UTC(2011, 3, 8, 23, 48);
    for (const p of pkts) {
      assert.ok(p.tsMs >= from && p.tsMs < to, `timestamp ${new Date(p.tsMs).toISOString()}`);
      assert.equal(p.linkType, 1);
      assert.ok(p.data.length <= p.origLen);
    }
    for (let i = 1; i < pkts.length; i++) assert.ok(pkts[i].tsMs >= pkts[i - 1].tsMs);
  });

  it('streams a file larger than one chunk and yields the same packets as the buffer reader', async () => {
    const whole = collect(fs.readFileSync(overflowd));
    const stats = new CaptureStats();
    const streamed = await collectFile(overflowd, stats);
    assert.equal(fs.statSync(overflowd).size > 1 << 20, true);
    assert.equal(streamed.length, whole.length);
    assert.equal(stats.packets, whole.length);
    for (let i = 0; i < whole.length; i++) {
      assert.equal(streamed[i].tsMs, whole[i].tsMs);
      sameBytes(streamed[i].data, whole[i].data);
    }
  });

  it('reads every capture in the shared test data the same way from buffer and from file', async () => {
    const files = ['akvorado/sflow', 'akvorado/netflow', 'pktvisor', ...fs.readdirSync(testdata('pmacct-test-automation')).map((d) => `pmacct-test-automation/${d}`)]
      .flatMap((dir) => (fs.statSync(testdata(dir)).isDirectory() ? fs.readdirSync(testdata(dir)).map((f) => testdata(dir, f)) : []))
      .filter((f) => f.endsWith('.pcap'));
    assert.ok(files.length >= 29);
    for (const f of files) {
      const a = collect(fs.readFileSync(f));
      const b = await collectFile(f);
      assert.ok(a.length > 0, f);
      assert.deepEqual(
        b.map((p) => [p.tsMs, p.data.length]),
        a.map((p) => [p.tsMs, p.data.length]),
        f,
      );
    }
  });

  it('reads the nanosecond-resolution pktvisor capture (its 5 frames per Wireshark)', () => {
    const buf = fs.readFileSync(testdata('pktvisor', 'nf9.pcap'));
    assert.equal(buf.readUInt32LE(0), 0xa1b23c4d);
    const ws = JSON.parse(fs.readFileSync(testdata('pktvisor', 'expected', 'nf9.wireshark.json'), 'utf8'));
    const pkts = collect(buf);
    assert.equal(pkts.length, ws.frames.length);
    // The fractional part is nanoseconds: the fraction word divided by 10^6 gives milliseconds.
    const sec = buf.readUInt32LE(24);
    const ns = buf.readUInt32LE(28);
    assert.equal(pkts[0].tsMs, sec * 1000 + ns / 1e6);
  });

  /** Rewrites a little-endian µs pcap as big-endian, and/or with nanosecond timestamps. */
  function rewrite(src: Buffer, bigEndian: boolean, nano: boolean): Buffer {
    const out = Buffer.alloc(src.length);
    const w32 = (v: number, at: number) => (bigEndian ? out.writeUInt32BE(v, at) : out.writeUInt32LE(v, at));
    const w16 = (v: number, at: number) => (bigEndian ? out.writeUInt16BE(v, at) : out.writeUInt16LE(v, at));
    w32(nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
    w16(src.readUInt16LE(4), 4);
    w16(src.readUInt16LE(6), 6);
    for (const at of [8, 12, 16, 20]) w32(src.readUInt32LE(at), at);
    let p = 24;
    while (p + 16 <= src.length) {
      const incl = src.readUInt32LE(p + 8);
      w32(src.readUInt32LE(p), p);
      w32(src.readUInt32LE(p + 4) * (nano ? 1000 : 1), p + 4);
      w32(incl, p + 8);
      w32(src.readUInt32LE(p + 12), p + 12);
      src.copy(out, p + 16, p + 16, p + 16 + incl);
      p += 16 + incl;
    }
    return out;
  }

  it('reads big-endian and nanosecond files to the same packets', () => {
    const src = fs.readFileSync(data1140);
    const ref = collect(src);
    assert.equal(ref.length, 1);
    // inventory: 1290-byte file = 24-byte file header + 16-byte record header + the frame.
    assert.equal(ref[0].data.length, 1290 - 24 - 16);
    for (const [be, nano] of [
      [true, false],
      [true, true],
      [false, true],
    ]) {
      const got = collect(rewrite(src, be, nano));
      assert.equal(got.length, 1);
      assert.equal(got[0].tsMs, ref[0].tsMs);
      assert.equal(got[0].linkType, 1);
      assert.equal(got[0].origLen, ref[0].origLen);
      sameBytes(got[0].data, ref[0].data);
    }
  });

  it('ends at a truncated last record and says so', async () => {
    const src = fs.readFileSync(overflowd);
    const cut = src.subarray(0, src.length - 100);
    const stats = new CaptureStats();
    assert.equal(collect(cut, stats).length, 999);
    assert.equal(stats.truncated, true);
    const file = path.join(tmp, 'cut.pcap');
    fs.writeFileSync(file, cut);
    const fstats = new CaptureStats();
    assert.equal((await collectFile(file, fstats)).length, 999);
    assert.equal(fstats.truncated, true);
    // A cut inside a record header, too.
    const headerCut = new CaptureStats();
    assert.equal(collect(src.subarray(0, 24 + 8), headerCut).length, 0);
    assert.equal(headerCut.truncated, true);
  });

  it('stops at a record with an impossible length, keeping the packets before it', () => {
    const src = Buffer.from(fs.readFileSync(overflowd));
    let p = 24;
    for (let i = 0; i < 10; i++) p += 16 + src.readUInt32LE(p + 8);
    src.writeUInt32LE(0xfffffff0, p + 8);
    const stats = new CaptureStats();
    assert.equal(collect(src, stats).length, 10);
    assert.match(stats.corrupt, /claims/);
  });

  it('delivers a record larger than the streaming chunk intact', async () => {
    const big = new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => i * 7);
    const head = Buffer.alloc(24);
    head.writeUInt32LE(0xa1b2c3d4, 0);
    head.writeUInt16LE(2, 4);
    head.writeUInt16LE(4, 6);
    head.writeUInt32LE(big.length, 16);
    head.writeUInt32LE(1, 20);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1700000000, 0);
    rec.writeUInt32LE(250000, 4);
    rec.writeUInt32LE(big.length, 8);
    rec.writeUInt32LE(big.length, 12);
    // Header, one 3 MiB record, then a record header claiming as much again with 3 bytes present.
    const file = path.join(tmp, 'big.pcap');
    fs.writeFileSync(file, Buffer.concat([head, rec, big, rec, Buffer.from([1, 2, 3])]));
    const stats = new CaptureStats();
    const pkts = await collectFile(file, stats);
    assert.equal(pkts.length, 1);
    assert.equal(pkts[0].tsMs, 1700000000250);
    sameBytes(pkts[0].data, big);
    assert.equal(stats.truncated, true);
  });
});

describe('input that is not a capture', () => {
  it('throws CaptureFormatError naming the problem', async () => {
    const dat = fs.readFileSync(testdata('logstash-codec-sflow', 'datagrams', 'sflow_flow_sample.dat'));
    assert.throws(() => collect(dat), (e: unknown) => e instanceof CaptureFormatError && /not a pcap or pcapng file/.test(e.message));
    assert.throws(() => collect(new Uint8Array(0)), (e: unknown) => e instanceof CaptureFormatError && /empty/.test(e.message));
    assert.throws(() => collect(fs.readFileSync(data1140).subarray(0, 20)), (e: unknown) => e instanceof CaptureFormatError && /header cut short/.test(e.message));
    const file = testdata('akvorado', 'README.md');
    await assert.rejects(collectFile(file), (e: unknown) => e instanceof CaptureFormatError && e.message.includes(file));
  });
});

// --- pcapng, written here block by block ----------------------------------------------------

class Ng {
  parts: Buffer[] = [];
  constructor(private le: boolean) {}
  private u32(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  }
  private u16(v: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  }
  private pad(b: Uint8Array): Buffer {
    return Buffer.concat([Buffer.from(b), Buffer.alloc((4 - (b.length % 4)) % 4)]);
  }
  option(code: number, value: Uint8Array): Buffer {
    return Buffer.concat([this.u16(code), this.u16(value.length), this.pad(value)]);
  }
  endOfOptions(): Buffer {
    return Buffer.alloc(4);
  }
  block(type: number, body: Buffer): this {
    const total = 12 + body.length;
    this.parts.push(Buffer.concat([this.u32(type), this.u32(total), body, this.u32(total)]));
    return this;
  }
  shb(options: Buffer[] = []): this {
    const body = Buffer.concat([this.u32(0x1a2b3c4d), this.u16(1), this.u16(0), Buffer.alloc(8, 0xff), ...options]);
    return this.block(0x0a0d0d0a, body);
  }
  idb(linkType: number, snapLen: number, options: Buffer[] = []): this {
    return this.block(1, Buffer.concat([this.u16(linkType), this.u16(0), this.u32(snapLen), ...options]));
  }
  epb(iface: number, ts: bigint, data: Uint8Array, origLen = data.length): this {
    return this.block(6, Buffer.concat([this.u32(iface), this.u32(Number(ts >> 32n)), this.u32(Number(ts & 0xffffffffn)), this.u32(data.length), this.u32(origLen), this.pad(data)]));
  }
  opb(iface: number, ts: bigint, data: Uint8Array): this {
    return this.block(2, Buffer.concat([this.u16(iface), this.u16(0), this.u32(Number(ts >> 32n)), this.u32(Number(ts & 0xffffffffn)), this.u32(data.length), this.u32(data.length), this.pad(data)]));
  }
  spb(data: Uint8Array, origLen = data.length): this {
    return this.block(3, Buffer.concat([this.u32(origLen), this.pad(data)]));
  }
  tsoffset(seconds: number): Buffer {
    const b = Buffer.alloc(8);
    if (this.le) b.writeBigInt64LE(BigInt(seconds));
    else b.writeBigInt64BE(BigInt(seconds));
    return this.option(14, b);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

describe('pcapng', () => {
  const [frame] = collect(fs.readFileSync(data1140));
  const eth = frame.data;
  const rawIp = eth.subarray(14);
  const ts = 1662715598886994123n; // ns

  function twoSections(): Buffer {
    const a = new Ng(true)
      .shb([new Ng(true).option(4, Buffer.from('flowlogs test')), new Ng(true).endOfOptions()])
      .idb(1, 65535, [new Ng(true).option(9, Uint8Array.of(9)), new Ng(true).endOfOptions()]) // ns
      .idb(101, 65535) // default µs, raw IP
      .epb(0, ts, eth)
      .block(4, Buffer.alloc(8)) // name resolution: passed over
      .epb(1, ts / 1000n, rawIp)
      .block(5, Buffer.alloc(16)) // interface statistics: passed over
      .opb(0, ts, eth.subarray(0, 64));
    const b = new Ng(false)
      .shb()
      .idb(1, 96, [new Ng(false).option(9, Uint8Array.of(0x80 | 10)), new Ng(false).tsoffset(1000), new Ng(false).endOfOptions()]) // 2^-10 s
      .spb(eth, eth.length)
      .epb(0, 1024n * 5n + 512n, eth.subarray(0, 96), eth.length);
    return Buffer.concat([a.bytes(), b.bytes()]);
  }

  it('reads sections of both byte orders, several interfaces, EPB, OPB and SPB', () => {
    const stats = new CaptureStats();
    const pkts = collect(twoSections(), stats);
    assert.equal(stats.format, 'pcapng');
    assert.equal(pkts.length, 5);
    assert.equal(stats.skippedBlocks, 2);
    assert.deepEqual(
      pkts.map((p) => p.linkType),
      [1, 101, 1, 1, 1],
    );
    assert.ok(Math.abs(pkts[0].tsMs - 1662715598886.994123) < 1e-3);
    assert.equal(pkts[1].tsMs, 1662715598886.994);
    assert.ok(Math.abs(pkts[2].tsMs - 1662715598886.994123) < 1e-3);
    sameBytes(pkts[0].data, eth);
    sameBytes(pkts[1].data, rawIp);
    sameBytes(pkts[2].data, eth.subarray(0, 64));
    // SPB: no timestamp; captured bytes limited by the interface's snap length (96).
    assert.equal(pkts[3].tsMs, 0);
    assert.equal(pkts[3].data.length, 96);
    assert.equal(pkts[3].origLen, eth.length);
    // 2^-10 s units: 5.5 s, plus the 1000 s interface offset.
    assert.equal(pkts[4].tsMs, 1_005_500);
    assert.equal(pkts[4].origLen, eth.length);
  });

  it('streams pcapng from a file', async () => {
    const file = path.join(tmp, 'two.pcapng');
    fs.writeFileSync(file, twoSections());
    const pkts = await collectFile(file);
    assert.equal(pkts.length, 5);
    sameBytes(pkts[1].data, rawIp);
  });

  it('ends at a truncated block and drops packet blocks of unknown interfaces', () => {
    const all = twoSections();
    const stats = new CaptureStats();
    assert.equal(collect(all.subarray(0, all.length - 10), stats).length, 4);
    assert.equal(stats.truncated, true);
    const orphan = new Ng(true).shb().idb(1, 0).epb(3, ts, eth).epb(0, ts, eth).bytes();
    const s2 = new CaptureStats();
    assert.equal(collect(orphan, s2).length, 1);
    assert.equal(s2.badBlocks, 1);
  });

  it('stops at a block whose length cannot be right', () => {
    const bad = Buffer.from(new Ng(true).shb().idb(1, 0).epb(0, ts, eth).epb(0, ts, eth).bytes());
    const second = bad.length - (12 + 20 + eth.length + ((4 - (eth.length % 4)) % 4));
    bad.writeUInt32LE(13, second + 4);
    const stats = new CaptureStats();
    assert.equal(collect(bad, stats).length, 1);
    assert.match(stats.corrupt, /impossible length/);
  });
});
