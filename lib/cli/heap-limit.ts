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

/** The limit this process runs with (old and young generations), MB, for the start-up log line. */
export function heapLimitMb(): number {
  return Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
}
