/**
 * Polls `probe` until it gives a value (not undefined) and returns it; a probe that throws counts as
 * not yet. Past `timeout` ms it fails with `timed out: <what>`.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeout = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
