// The daily load curve: a smooth day/night cycle with its peak in the afternoon (UTC by
// default) and its trough twelve hours later, the trough a fixed fraction of the peak.

export interface DiurnalShape {
  /** Hour of the day (UTC, may be fractional) with the most traffic. */
  peakHourUtc: number;
  /** Load at the trough as a fraction of the peak, in (0, 1]. */
  trough: number;
}

export const DEFAULT_DIURNAL: DiurnalShape = { peakHourUtc: 15, trough: 0.2 };

/** Load at a time, from `trough` (night) to 1 (peak), without noise. */
export function diurnalFactor(unixSeconds: number, shape: DiurnalShape = DEFAULT_DIURNAL): number {
  const hour = (unixSeconds % 86400) / 3600;
  const phase = ((hour - shape.peakHourUtc) / 24) * 2 * Math.PI;
  return shape.trough + (1 - shape.trough) * (0.5 + 0.5 * Math.cos(phase));
}
