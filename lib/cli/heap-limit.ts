import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

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
 * The size each of the young generation's two semi-spaces starts at, MB: V8's largest on 64 bits,
 * which it otherwise grows to only after a while of high survival rates, scavenging more often
 * meanwhile. Every reading in flight (waiting for its batch to be written) survives the scavenges
 * that run during its wait, so fewer of them means less copying and fewer readings promoted to old
 * space: ~20% less CPU per reading in the benchmark's 1a, less in 1b (bench/README.md), peak RSS
 * unchanged there. Node refuses this option in `NODE_OPTIONS`, so the systemd unit passes it on
 * node's command line.
 */
export const YOUNG_GENERATION_MB = 16;

/** The node option that sets `YOUNG_GENERATION_MB`. */
export const YOUNG_GENERATION_FLAG = `--min-semi-space-size=${YOUNG_GENERATION_MB}`;

/** The node options `npm start`, the tests and the benchmark start daqd with. */
export const NODE_FLAGS: readonly string[] = [HEAP_LIMIT_FLAG, YOUNG_GENERATION_FLAG];

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

/**
 * The heap limit for the start-up log line, e.g. `96 MB (V8 heap 144 MB with the young generation;
 * new space 32 MB)`: the last is the young generation's size at the time, at least one semi-space of
 * `YOUNG_GENERATION_MB` when node was started with `YOUNG_GENERATION_FLAG`, 1–2 MB at first without.
 */
export function heapLimitText(): string {
  const total = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  const young = newSpace === undefined ? '' : `; new space ${Math.round(newSpace.space_size / 2 ** 20)} MB`;
  const old = oldSpaceLimitMb();
  return old === undefined
    ? `V8 default (${total} MB${young}; daqd is meant to run with ${NODE_FLAGS.join(' ')})`
    : `${old} MB (V8 heap ${total} MB with the young generation${young})`;
}
