import { getHeapStatistics } from 'node:v8';

/**
 * The V8 heap limit daqd is started with, MB: `npm start`, the systemd unit, the tests and the
 * benchmark all pass `HEAP_LIMIT_FLAG` to node. Without a limit V8 lets garbage pile up to several times
 * the live heap under sustained load (RSS near 200 MB where 30 MB are live); with it RSS stays near
 * 130 MB. The largest requests at the default `[http] max_body_size` of 10 MiB fit (one large body is
 * decoded at a time); a `max_body_size` above ~20 MiB of JSON needs a higher limit, set with
 * `node --max-old-space-size=N`.
 */
export const HEAP_LIMIT_MB = 96;

/** The node option that sets `HEAP_LIMIT_MB`. */
export const HEAP_LIMIT_FLAG = `--max-old-space-size=${HEAP_LIMIT_MB}`;

/**
 * The old-space limit this process was started with, MB: the last `--max-old-space-size=N` (or
 * `--max_old_space_size`) of `NODE_OPTIONS` and then of node's own arguments, as node applies them
 * (its command line wins over `NODE_OPTIONS`). Undefined when neither sets one. This is the number
 * `npm start`, the systemd unit and the README speak of; V8's `heap_size_limit` adds the young
 * generation on top (96 → 144 MB).
 */
export function oldSpaceLimitMb(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env['NODE_OPTIONS'],
): number | undefined {
  let limit: number | undefined;
  for (const arg of [...(nodeOptions ?? '').split(/\s+/), ...execArgv]) {
    const match = /^--max[-_]old[-_]space[-_]size=(\d+)$/.exec(arg);
    if (match?.[1] !== undefined) limit = Number(match[1]);
  }
  return limit;
}

/** The heap limit for the start-up log line, e.g. `96 MB (V8 heap 144 MB with the young generation)`. */
export function heapLimitText(): string {
  const total = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
  const old = oldSpaceLimitMb();
  return old === undefined
    ? `V8 default (${total} MB; daqd is meant to run with ${HEAP_LIMIT_FLAG})`
    : `${old} MB (V8 heap ${total} MB with the young generation)`;
}
