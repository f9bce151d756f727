import fs from 'node:fs';
import { RecordWriter } from '../schema/formats.js';
import { parseIp } from '../schema/ip.js';
import { ExporterDecoder } from '../sources/exporter-decoder.js';
import { CaptureFormatError, CaptureStats, readCaptureFile, UdpExtractStats, udpPayload } from '../sources/pcap/index.js';
import { BatchCollector } from '../sources/source.js';
import { InputError } from '../util/errors.js';
import { int, oneOf, parseFlags, str, type Io, type Verb } from './args.js';

export const decode: Verb = {
  name: 'decode',
  summary: 'decode NetFlow/IPFIX/sFlow datagrams in capture files into flow records',
  usage: `flowlogs decode FILE... [--format jsonl|csv] [--exporter ADDR] [--sampling-rate N]

  FILE   .pcap/.pcapng captures of exporter traffic (any UDP port: the protocol is read from
         the payload), or raw payload files (.dat/.bin, one datagram each). Files are decoded in
         the order given with one template cache, so templates in one file serve data in the next.
  --exporter ADDR     exporter address for raw payload files (default 0.0.0.0)
  --sampling-rate N   rate to apply when an exporter announces none (default 1)
  A summary (datagrams, flows, malformed by reason) goes to stderr.`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseFlags('decode', argv, { format: { type: 'string' }, exporter: { type: 'string' }, 'sampling-rate': { type: 'string' } });
    if (p.positionals.length === 0) throw new InputError('flowlogs decode: give at least one capture or payload file');
    const format = oneOf(p, 'format', 'decode', ['jsonl', 'csv'] as const, 'jsonl');
    const exporterText = str(p, 'exporter') ?? '0.0.0.0';
    const rawExporter = parseIp(exporterText);
    if (!rawExporter) throw new InputError(`flowlogs decode: --exporter: '${exporterText}' is not an IP address`);
    const decoder = new ExporterDecoder({ netflow: { samplingRate: int(p, 'sampling-rate', 'decode', 1) ?? 1 } });
    const writer = new RecordWriter(io.out, format);
    const pending: Promise<void>[] = [];
    const collector = new BatchCollector((b) => pending.push(writer.write(b)), 4096);
    const udpStats = new UdpExtractStats();
    let datagrams = 0;
    for (const file of p.positionals) {
      let head: Buffer;
      try {
        const fd = fs.openSync(file, 'r');
        head = Buffer.alloc(4);
        fs.readSync(fd, head, 0, 4, 0);
        fs.closeSync(fd);
      } catch (e) {
        throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
      }
      const isCapture = /\.(pcap|pcapng|cap)$/i.test(file) || [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a].includes(head.readUInt32BE(0));
      if (!isCapture) {
        const data = fs.readFileSync(file);
        datagrams++;
        if (decoder.decode(data, rawExporter, fs.statSync(file).mtimeMs, collector) === undefined)
          throw new InputError(`${file}: neither a capture file (pcap/pcapng) nor a NetFlow, IPFIX or sFlow datagram`);
        continue;
      }
      const stats = new CaptureStats();
      try {
        for await (const pkt of readCaptureFile(file, stats)) {
          const u = udpPayload(pkt, udpStats);
          if (!u) continue;
          datagrams++;
          decoder.decode(u.payload, u.src, u.tsMs, collector);
          if (pending.length > 16) await Promise.all(pending.splice(0));
        }
      } catch (e) {
        if (e instanceof CaptureFormatError) throw new InputError(e.message);
        throw e;
      }
      if (stats.truncated) io.err.write(`${file}: capture ends inside a packet record; the packets before it were decoded\n`);
      if (stats.corrupt) io.err.write(`${file}: ${stats.corrupt}; decoding stopped there\n`);
    }
    collector.flush();
    await Promise.all(pending);
    writer.finish();
    const malformed = { ...decoder.netflow.stats.malformed, ...decoder.sflow.stats.malformed } as Record<string, number>;
    const bad = Object.entries(malformed).filter(([, n]) => n > 0);
    io.err.write(
      `${datagrams} datagrams, ${decoder.flows} flows` +
        (decoder.unknown ? `, ${decoder.unknown} not NetFlow/IPFIX/sFlow` : '') +
        (bad.length ? `, malformed: ${bad.map(([k, n]) => `${k} ${n}`).join(', ')}` : '') +
        (decoder.netflow.stats.pending.dropped ? `, ${decoder.netflow.stats.pending.dropped} data sets never got their template` : '') +
        '\n',
    );
    return 0;
  },
};
