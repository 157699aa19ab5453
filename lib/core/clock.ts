const NS_PER_MS = 1_000_000n;

/**
 * Wall-clock time in integer nanoseconds: `Date.now()` milliseconds (follows NTP, never drifts from
 * the system clock) plus the sub-millisecond part of the high-resolution clock, so arrivals within one
 * millisecond usually get distinct stamps. Callers that need strictly increasing stamps per series
 * enforce that themselves.
 */
export function nowNs(): bigint {
  return BigInt(Date.now()) * NS_PER_MS + (process.hrtime.bigint() % NS_PER_MS);
}
