/**
 * Batching limits: a batch is written when it holds `batch_size` points, when it is `flush_interval` ms
 * old, or when no point has joined it for `flush_idle` ms.
 */
export interface BatchLimits {
  batch_size: number;
  flush_interval: number;
  /**
   * Idle time that closes a batch early (default 2 ms). Readings wait for their acknowledgement, so
   * once the broker's receive window is full (or every HTTP client waits for its answer) no more
   * arrive: waiting any longer then only stalls the flow. Readings that come together (one socket
   * read, one burst of requests) arrive well within it and still share a write.
   */
  flush_idle?: number;
}

/**
 * Default `flush_idle`, ms. Measured with `npm run bench` (bench/README.md): 10 ms capped 64 single-reading
 * HTTP clients at ~2,600 requests/s and gave 35 ms median latency at 5,000 MQTT readings/s; 2 ms gives
 * ~5,500 requests/s and 6 ms, with batches as large as before under full load.
 */
export const DEFAULT_FLUSH_IDLE = 2;
