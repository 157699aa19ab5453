/** Milliseconds per unit of a duration key (`15m`, `30 s`, `1.5h`, `500ms`). */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i;

/**
 * Reads a duration as INI keys write it: a plain number is seconds (as Kotori's interval keys are),
 * or a number with a unit `ms`, `s`, `m`, `h`, `d` (`15m`, `30 s`). Milliseconds, or a problem. Pure.
 *
 * Written here rather than taken from `ms` (which daqd has through its dependencies): that package
 * reads a plain number as milliseconds, and these keys read it as seconds.
 */
export function parseDuration(text: string): { ms: number } | { problem: string } {
  const m = DURATION.exec(text.trim());
  if (m === null)
    return { problem: `'${text}' is not a duration (seconds, or a number with ms, s, m, h or d)` };
  const ms = Number(m[1]) * UNIT_MS[(m[2] ?? 's').toLowerCase()]!;
  return { ms: Math.round(ms) };
}
