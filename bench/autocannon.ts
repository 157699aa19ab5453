import { createRequire } from 'node:module';

/** The part of autocannon's result the benchmark reads (the package ships no types). */
export interface CannonResult {
  duration: number;
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; average: number };
}

/** The options the benchmark passes. */
export interface CannonOptions {
  url: string;
  method: 'POST' | 'GET';
  connections: number;
  body?: string | Buffer;
  headers?: Record<string, string>;
  duration?: number;
  amount?: number;
  timeout?: number;
}

/** What a run measured besides autocannon's own result: the first request and last answer, `performance.now()`. */
export interface CannonRun {
  result: CannonResult;
  /** Seconds from the start to the last answer (autocannon itself ends runs on a whole sample tick). */
  seconds: number;
}

interface Instance {
  on(event: 'response', listener: () => void): void;
}

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (
  options: CannonOptions & { sampleInt: number },
  done: (err: Error | null, result: CannonResult) => void,
) => Instance;

/** Runs autocannon in this process (no workers: the machine has two cores, both taken). */
export function cannon(options: CannonOptions): Promise<CannonRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let last = started;
    const instance = autocannon({ ...options, sampleInt: 100 }, (err, result) => {
      if (err) reject(err);
      else resolve({ result, seconds: (last - started) / 1000 });
    });
    instance.on('response', () => {
      last = performance.now();
    });
  });
}
