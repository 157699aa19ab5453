import { access, mkdir, mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Level } from 'level';
import mqtt, { type IConnackPacket } from 'mqtt';
import { DaemonProcess, freePort } from '../support/daqd.js';

/** Ways a LevelDB store gets damaged: a crash or a full disk mid-write, a file overwritten or lost. */
const damages: { name: string; damage: (store: string) => Promise<void> }[] = [
  {
    name: 'CURRENT overwritten',
    damage: (store) => writeFile(path.join(store, 'CURRENT'), 'garbage'),
  },
  {
    name: 'MANIFEST truncated',
    damage: async (store) => {
      for (const f of await readdir(store))
        if (f.startsWith('MANIFEST-')) await truncate(path.join(store, f), 0);
    },
  },
  {
    name: 'a table file overwritten',
    damage: async (store) => {
      // Opening the store once turns its log into a table file (.ldb).
      const db = new Level(store);
      await db.open();
      await db.close();
      const tables = (await readdir(store)).filter((f) => f.endsWith('.ldb'));
      expect(tables, 'table files').to.not.be.empty;
      for (const f of tables) await writeFile(path.join(store, f), Buffer.alloc(4096, 0x5a));
    },
  },
];

describe('embedded broker: a damaged session store (data_dir/broker)', function () {
  this.timeout(60_000);
  let dir: string;
  let daemon: DaemonProcess | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-session-store-'));
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  for (const { name, damage } of damages) {
    it(`${name}: daqd starts with the store moved aside, says what was lost, and takes readings`, async () => {
      await mkdir(path.join(dir, 'apps'));
      await writeFile(
        path.join(dir, 'apps', 'hiverize.ini'),
        '[hiverize]\ntype = application\nrealm = hiverize\nmqtt_topics = hiverize/#\n' +
          'application = mqttkit\nhttp_api = true\n',
      );
      const mqttPort = await freePort();
      const httpPort = await freePort();
      const config = path.join(dir, 'daqd.ini');
      await writeFile(
        config,
        `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\n` +
          `[http]\nport = ${httpPort}\n[mqtt]\nembedded = true\nport = ${mqttPort}\n[storage]\nbackend = sqlite\n`,
      );
      const url = `mqtt://127.0.0.1:${mqttPort}`;
      daemon = new DaemonProcess(config);
      await daemon.waitFor(/ready: 1 realm/);
      // An outside client with a persistent session: the store has something to lose.
      const dashboard = await mqtt.connectAsync(url, {
        clientId: 'dashboard',
        clean: false,
        protocolVersion: 4,
      });
      await dashboard.subscribeAsync('hiverize/#', { qos: 1 });
      await dashboard.endAsync();
      expect(await daemon.stop()).to.equal(0);

      const store = path.join(dir, 'var', 'broker');
      await damage(store);

      daemon = new DaemonProcess(config);
      await daemon.waitFor(/ready: 1 realm/, 20_000);
      const logged = await daemon.waitFor(/ error \[daqd:broker\] embedded broker: session store [^\n]*/);
      const aside = new RegExp(
        `moved it to '(${store.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.corrupt-\\d{8}T\\d{6}Z)'`,
      ).exec(logged);
      expect(aside, logged).to.not.equal(null);
      await access(aside![1]!);
      expect(logged).to.include('persistent sessions of outside clients');

      // MQTT and HTTP ingest both work.
      const node = await mqtt.connectAsync(url, {
        clientId: 'node-1',
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      try {
        await node.publishAsync('hiverize/testdrive/area-42/node-1/data.json', '{"value": 1}', { qos: 1 });
      } finally {
        await node.endAsync();
      }
      const posted = await fetch(`http://127.0.0.1:${httpPort}/api/hiverize/testdrive/area-42/node-1/data`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"value": 2}',
      });
      expect(posted.status, await posted.text()).to.equal(200);
      // The dashboard's session is gone, as the log said.
      const again = mqtt.connect(url, {
        clientId: 'dashboard',
        clean: false,
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      const connack = await new Promise<IConnackPacket>((resolve) => again.once('connect', resolve));
      await again.endAsync();
      expect(connack.sessionPresent).to.equal(false);
    });
  }
});
