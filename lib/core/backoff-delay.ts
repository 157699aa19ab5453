/**
 * Exponential backoff with full jitter: attempt 0 waits about `base`, doubling up to `max` (ms).
 * Jitter keeps several daqd instances (or channels) from retrying in lockstep.
 */
export function backoffDelay(
  attempt: number,
  base = 250,
  max = 30_000,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
