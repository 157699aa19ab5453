import { DaemonProcess, freePort } from './daqd.js';

/** One daqd process of several started from the same config file, with an HTTP port of its own. */
export interface DaqdInstance {
  daemon: DaemonProcess;
  httpPort: number;
}

/**
 * Starts daqd from `config` with `env` added (what tells this instance from the others: its
 * instance id, or its data_dir and client id) and an HTTP port of its own on 127.0.0.1; resolves once
 * its realm is ready and its MQTT connection is up; on a failure it stops the process and rethrows.
 */
export async function startInstance(config: string, env: Record<string, string>): Promise<DaqdInstance> {
  const httpPort = await freePort();
  const daemon = new DaemonProcess(config, {
    env: { ...env, DAQD_HTTP_LISTEN: '127.0.0.1', DAQD_HTTP_PORT: String(httpPort) },
  });
  try {
    await daemon.waitFor(/ready: 1 realm/, 30_000);
    await daemon.waitFor(/mqtt: connected to broker/, 30_000);
  } catch (err) {
    // Not handed out, so no teardown would stop it.
    await daemon.stop();
    throw err;
  }
  return { daemon, httpPort };
}

/** `daqd_readings_stored_total` of `realm` on a running instance (its `/metrics`); 0 before the first. */
export async function storedReadings(instance: DaqdInstance, realm: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${instance.httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`daqd_readings_stored_total{realm="${realm}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}
