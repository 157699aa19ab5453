import { scenarios } from './expect-pass.js';
import { type FaultContext, sleep } from './scenario.js';

/** SIGKILL daqd `times` times, 2 s of load apart; each time it is started again after 1 s. */
function killDaqd(times: number) {
  return async ({ rig }: FaultContext) => {
    for (let i = 0; i < times; i++) {
      if (i > 0) await sleep(2000);
      await rig.killDaqd();
      await sleep(1000);
      await rig.startDaqd();
    }
  };
}

scenarios('faults: daqd killed', [
  {
    name: 'daqd SIGKILL ×2, QoS 1, Mosquitto + influxd',
    rig: { broker: 'mosquitto', store: 'influxdb' },
    load: { kind: 'mqtt', qos: 1 },
    fault: killDaqd(2),
  },
  {
    name: 'daqd SIGKILL ×2, QoS 1, embedded broker + SQLite',
    rig: { broker: 'embedded', store: 'sqlite' },
    load: { kind: 'mqtt', qos: 1 },
    fault: killDaqd(2),
  },
  {
    name: 'daqd SIGKILL ×4, QoS 2, embedded broker + SQLite',
    rig: { broker: 'embedded', store: 'sqlite' },
    load: { kind: 'mqtt', qos: 2 },
    exactlyOnce: true,
    fault: killDaqd(4),
  },
  {
    name: 'daqd SIGKILL mid-replay of the spool, Mosquitto + influxd',
    rig: { broker: 'mosquitto', store: 'influxdb', config: { influxdb: { batch_size: '200' } } },
    load: { kind: 'mqtt', qos: 1 },
    rate: 500,
    async fault({ rig, ledger, note }) {
      const influxd = rig.influxd!;
      await influxd.kill();
      await sleep(5000);
      const spooled = ledger.acknowledged;
      await influxd.restart();
      // Kill as soon as the replay has written something: the rest is still in the spool.
      const stored = rig.storedSeqs();
      const deadline = Date.now() + 20_000;
      let seen = 0;
      while (Date.now() < deadline && seen === 0) {
        seen = (await stored()).length;
        if (seen === 0) await sleep(10);
      }
      await rig.killDaqd();
      note(`daqd killed with ${seen} stored of ~${spooled} acknowledged during the outage`);
      await sleep(1000);
      await rig.startDaqd();
    },
    settle: 45_000,
  },
]);
