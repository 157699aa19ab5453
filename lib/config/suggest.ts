import { distance } from 'fastest-levenshtein';

/**
 * The known name closest to `name`, when it is close enough to be a typo: one edit (Levenshtein, and a
 * swap of two neighbouring characters counts as one) for
 * names of up to five characters, two up to eight, three beyond (or at most `limit` edits).
 */
export function closestName(
  name: string,
  known: Iterable<string>,
  limit = Math.max(1, Math.min(3, Math.floor(name.length / 3))),
): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    if (candidate === name) continue;
    const d = isSwap(name, candidate) ? 1 : distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** True when `b` is `a` with two neighbouring characters swapped (`hots` → `host`), a typo of one slip. */
function isSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const i = [...a].findIndex((c, at) => c !== b[at]);
  return i >= 0 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

/** ` (did you mean 'x'?)` when a known name is close to `name`, else the empty string. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const close = closestName(name, known);
  return close === undefined ? '' : ` (did you mean '${close}'?)`;
}
