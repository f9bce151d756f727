export { Probe, ProbeStats, PROBE_RECORD_VERSION, SKIP_REASONS, type NoDataMode, type PortSide, type ProbeOptions, type SkipReason } from './probe.js';
export { PcapStream, type PacketHandler } from './pcap-stream.js';
export { LiveCapture, type LiveCaptureOptions, type TcpdumpStats } from './live-capture.js';
export { FlowTable } from './flow-table.js';
export { ConnectionTracker, senderOpened } from './conntrack.js';
