// What the sFlow decoder saw, counted; exposed on /metrics when a registry is given.

import type { MetricsRegistry } from '../../metrics/registry.js';

/** Why input was rejected. A datagram-level reason stops the datagram; a sample-level one drops the sample. */
export const MALFORMED_REASONS = [
  'short_datagram', // fewer bytes than a datagram header
  'bad_version', // not sFlow version 5
  'bad_agent_address', // agent address of an unknown type: nothing after it can be located
  'sample_overrun', // a sample's length runs past the datagram
  'sample_count', // more samples announced than the datagram holds
  'sample_truncated', // a sample's fixed fields run past its length
  'record_overrun', // a record's length runs past its sample
  'record_count', // more records announced than the sample holds
  'record_truncated', // a record's fields (header, AS path, counts) run past its length
  'bad_address', // an address of unknown type inside a record
  'zero_sampling_rate', // sampling rate 0: kept as 1
  'internal_error', // a decoder bug; never expected
] as const;

export type MalformedReason = (typeof MALFORMED_REASONS)[number];

export class SflowStats {
  datagrams = 0;
  flowSamples = 0;
  counterSamples = 0;
  /** Samples of formats this decoder does not read (other enterprises, discarded-packet samples ...). */
  skippedSamples = 0;
  /** Flow or counter records of formats this decoder does not read, passed over by their length. */
  skippedRecords = 0;
  /** Sampled headers of protocols the header decoder does not read (Token Ring, FDDI, ...). */
  undecodedHeaders = 0;
  /** Flow samples without any record describing the packet (no header, Ethernet or IP record). */
  emptyFlowSamples = 0;
  /**
   * Datagrams or samples with bytes left after the samples or records they announce. Not an
   * error: the announced content decoded, and some agents and tools pad or trim counts.
   */
  trailingBytes = 0;
  /** Rows written: one per flow sample. */
  flows = 0;
  /** Interface counter rows written. */
  interfaceCounters = 0;
  readonly malformed: Record<MalformedReason, number> = Object.fromEntries(MALFORMED_REASONS.map((r) => [r, 0])) as Record<MalformedReason, number>;

  get malformedTotal(): number {
    let n = 0;
    for (const r of MALFORMED_REASONS) n += this.malformed[r];
    return n;
  }

  /** Publishes these counts as Prometheus counters, read when the registry is scraped. */
  register(metrics: MetricsRegistry): void {
    const datagrams = metrics.counter('flowlogs_sflow_datagrams_total', 'sFlow datagrams received by the decoder').with();
    const samples = metrics.counter('flowlogs_sflow_samples_total', 'sFlow samples by kind');
    const flowSamples = samples.with({ kind: 'flow' });
    const counterSamples = samples.with({ kind: 'counters' });
    const skippedSamples = samples.with({ kind: 'skipped' });
    const skippedRecords = metrics.counter('flowlogs_sflow_skipped_records_total', 'sFlow records of formats not decoded').with();
    const flows = metrics.counter('flowlogs_sflow_flows_total', 'Flow records decoded from sFlow samples').with();
    const counters = metrics.counter('flowlogs_sflow_interface_counters_total', 'Interface counter records decoded from sFlow').with();
    const malformed = metrics.counter('flowlogs_sflow_malformed_total', 'Malformed sFlow input by reason');
    const byReason = MALFORMED_REASONS.map((reason) => malformed.with({ reason }));
    metrics.onCollect(() => {
      datagrams.set(this.datagrams);
      flowSamples.set(this.flowSamples);
      counterSamples.set(this.counterSamples);
      skippedSamples.set(this.skippedSamples);
      skippedRecords.set(this.skippedRecords);
      flows.set(this.flows);
      counters.set(this.interfaceCounters);
      MALFORMED_REASONS.forEach((r, i) => byReason[i].set(this.malformed[r]));
    });
  }
}
