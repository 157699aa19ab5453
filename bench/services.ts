// The benchmark runs the integration tests' service starters (compiled to dist/test/support/), so
// both start, probe and stop influxd and mosquitto the same way.
import { requireBinary } from '../test/support/child-processes.js';
import { type InfluxdProcess, startInfluxd as startTestInfluxd } from '../test/support/influxd.js';
import { type MosquittoProcess, startMosquitto as startTestMosquitto } from '../test/support/mosquitto.js';
import { InfluxClient } from './influx-client.js';

/** The first executable of that name in `fixed` or on PATH; throws naming the Debian package. */
export function findBinary(name: string, fixed: readonly string[], pkg: string): string {
  return requireBinary(name, fixed, pkg);
}

/** A real influxd (1.x) on loopback with a fresh temp dir, and a client of the benchmark's own on it. */
export interface InfluxService extends Pick<InfluxdProcess, 'pid' | 'port' | 'url'> {
  client: InfluxClient;
  /** SIGTERM, wait for the exit, close the client, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** A real mosquitto on loopback with a fresh temp dir. */
export type MosquittoService = Pick<MosquittoProcess, 'pid' | 'port' | 'url' | 'stop'>;

/**
 * Starts mosquitto on a free 127.0.0.1 port without persistence. Queues are unbounded (a publisher
 * may run ahead of a slow subscriber without loss) and 3.1.1 subscribers get the same in-flight
 * window, 1000, that daqd asks for with MQTT 5's Receive Maximum (`BENCH_NO_INFLIGHT=1`: mosquitto's
 * default).
 */
export function startMosquitto(): Promise<MosquittoService> {
  return startTestMosquitto({
    // These replace the tests' defaults: mosquitto keeps the last value of an option.
    config: [
      'persistence false',
      'max_queued_messages 0',
      'max_queued_bytes 0',
      ...(process.env['BENCH_NO_INFLIGHT'] ? [] : ['max_inflight_messages 1000']),
    ],
  });
}

/** Starts influxd with the integration tests' settings on free 127.0.0.1 ports; ready once `/ping` answers. */
export async function startInfluxd(): Promise<InfluxService> {
  const influxd = await startTestInfluxd();
  const client = new InfluxClient(influxd.url);
  return {
    get pid() {
      return influxd.pid;
    },
    port: influxd.port,
    url: influxd.url,
    client,
    stop: async () => {
      await influxd.stop();
      client.close();
    },
  };
}
