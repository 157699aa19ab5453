import { scenarios } from './expect-pass.js';
import { type FaultContext, sleep } from './scenario.js';

/** Edits the realm app `times` times, 1.5 s apart: each edit restarts the realm's channel. */
function editApp(times: number) {
  return async ({ rig }: FaultContext) => {
    for (let i = 0; i < times; i++) {
      await rig.editApp();
      await sleep(1500);
    }
  };
}

scenarios('faults: realm app edited under load', [
  {
    name: 'app edited ×5, MQTT QoS 1, Mosquitto + influxd',
    rig: { broker: 'mosquitto', store: 'influxdb' },
    load: { kind: 'mqtt', qos: 1 },
    fault: editApp(5),
  },
  {
    name: 'app edited ×5, MQTT QoS 1, embedded broker + SQLite',
    rig: { broker: 'embedded', store: 'sqlite' },
    load: { kind: 'mqtt', qos: 1 },
    fault: editApp(5),
  },
  {
    name: 'app edited ×5, HTTP POSTs, Mosquitto + influxd',
    rig: { broker: 'mosquitto', store: 'influxdb' },
    load: { kind: 'http' },
    rate: 200,
    fault: editApp(5),
  },
  {
    name: 'app edited while influxd hangs 15 s, embedded broker',
    // The store's own timeout is longer than the 10 s a restarting realm's messages may be held.
    rig: { broker: 'embedded', store: 'influxdb', config: { influxdb: { timeout: '30000' } } },
    load: { kind: 'mqtt', qos: 1 },
    async fault({ rig }) {
      const pid = rig.influxd!.pid;
      process.kill(pid, 'SIGSTOP');
      try {
        await sleep(500);
        await rig.editApp();
        await sleep(15_000);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
    },
    settle: 60_000,
  },
  {
    name: 'app edited while influxd is down, spool off, embedded broker',
    // Without a spool nothing can be acknowledged while the store is down: the restarting realm's
    // messages must wait unacknowledged for as long as the outage lasts.
    rig: { broker: 'embedded', store: 'influxdb', config: { storage: { spool_max_mb: '0' } } },
    load: { kind: 'mqtt', qos: 1 },
    async fault({ rig }) {
      await rig.influxd!.kill();
      await sleep(500);
      await rig.editApp();
      await sleep(12_000);
      await rig.influxd!.restart();
    },
    settle: 60_000,
  },
]);
