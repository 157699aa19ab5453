import type { Point } from '../../core/point.js';
import { LinePoint } from '../sanitize/line-point.js';
import type { TimeSpan } from '../sanitize/line-time-span.js';

/**
 * The earliest and latest time of a batch whose points all came as line protocol from requests whose
 * time spans are known (`LineOrigin.timeSpan`, the span of a whole request, so perhaps wider than the
 * batch's own); undefined for any other batch. One look per request, not per point's time.
 */
export function batchTimeSpan(points: readonly Point[]): TimeSpan | undefined {
  let min: bigint | undefined;
  let max: bigint | undefined;
  let last: unknown;
  for (const point of points) {
    if (!(point instanceof LinePoint)) return undefined;
    const origin = point.origin;
    if (origin === last) continue;
    last = origin;
    const span = origin.timeSpan;
    if (span === undefined) return undefined;
    if (min === undefined || span.min < min) min = span.min;
    if (max === undefined || span.max > max) max = span.max;
  }
  return min === undefined || max === undefined ? undefined : { min, max };
}

/** True when no time lies in both spans. */
export function spansApart(a: TimeSpan, b: TimeSpan): boolean {
  return a.max < b.min || b.max < a.min;
}
