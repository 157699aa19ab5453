/** Ecowitt stations send their secret `PASSKEY` with every reading; it is never stored. */
const PASSKEY = /^passkey$/i;

/** Drops Ecowitt's `PASSKEY` (any case) from a reading, in place. Every body decoder applies it. */
export function removePasskey(reading: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(reading)) if (PASSKEY.test(key)) delete reading[key];
  return reading;
}
