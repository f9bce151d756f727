// Flow start/end times arrive in one of several encodings; each template settles on one per end
// at compile time and every record converts with plain arithmetic against its message header.

/** How a template carries a flow time. */
export const T_NONE = 0;
/** Milliseconds of exporter uptime (v5/v9 First/Last, IPFIX flowStart/EndSysUpTime 22/21). */
export const T_UPTIME_MS = 1;
/** Unix seconds (flowStart/EndSeconds 150/151, observationTimeSeconds 322). */
export const T_SECONDS = 2;
/** Unix milliseconds (152/153, 323). */
export const T_MILLIS = 3;
/** NTP timestamp, 32.32 fixed point since 1900 (µs and ns variants 154-157, 324/325). */
export const T_NTP = 4;
/** Microseconds before the message's export time (158/159). */
export const T_DELTA_US = 5;

/** Seconds between the NTP epoch (1900) and the unix epoch. */
const NTP_UNIX_OFFSET_S = 2208988800;
const TWO_32 = 4294967296;

/** What a message header tells about time. */
export interface TimeContext {
  /** Export time of the message, unix ms (v5 adds the header's nanoseconds). */
  exportMs: number;
  /** Exporter uptime at export in ms (v5/v9 header); -1 when the header has none (IPFIX). */
  sysUptimeMs: number;
  /** Unix ms when the exporter's uptime was 0, from systemInitTimeMilliseconds; 0 = unknown. */
  initMs: number;
}

/** Converts one raw time to unix ms; 0 means unknown. */
export function toUnixMs(kind: number, v: number, t: TimeContext): number {
  switch (kind) {
    case T_UPTIME_MS:
      if (t.sysUptimeMs >= 0) {
        // The uptime counter wraps after 49.7 days and exporters race their own clock by a few
        // ms: the signed 32-bit difference handles both (a flow 1 ms "after" export stays 1 ms).
        return t.exportMs - ((t.sysUptimeMs - v) | 0);
      }
      return t.initMs > 0 ? t.initMs + v : 0;
    case T_SECONDS:
      return v * 1000;
    case T_MILLIS:
      return v;
    case T_NTP:
      return v === 0 ? 0 : Math.floor((v / TWO_32 - NTP_UNIX_OFFSET_S) * 1000);
    case T_DELTA_US:
      return Math.floor(t.exportMs - v / 1000);
    default:
      return 0;
  }
}
