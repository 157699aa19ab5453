import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { DaemonProcess, freePort, ROOT } from '../support/daqd.js';
import { eventually } from '../support/eventually.js';
import { type InfluxdProcess, startInfluxd } from '../support/influxd.js';
import { type MosquittoProcess, startMosquitto } from '../support/mosquitto.js';

/**
 * The key set of the ISEMS data collector's measurement (`Measurement.to_dict()`: its table's columns,
 * see its test_app.py `base_measurement` plus `id` and `timestamp`), in the order Flask's JSON encoder
 * writes them (sorted).
 */
const COLLECTOR_KEYS = [
  'batteryChargeEstimate',
  'batteryHealthEstimate',
  'batteryTemperature',
  'batteryVoltage',
  'id',
  'isPowerSaveMode',
  'isemsRevision',
  'latitude',
  'longitude',
  'lowVoltageDisconnectVoltage',
  'mppVoltage',
  'nodeId',
  'openCircuitVoltage',
  'openMPPTFirmwareVersion',
  'rateBatteryCapacity',
  'ratedSolarModuleCapacity',
  'status',
  'temperatureCorrectedVoltage',
  'timeToShutdown',
  'timestamp',
];
const FLOAT_KEYS = COLLECTOR_KEYS.filter(
  (k) =>
    ![
      'id',
      'isPowerSaveMode',
      'isemsRevision',
      'nodeId',
      'openMPPTFirmwareVersion',
      'status',
      'timestamp',
    ].includes(k),
);

type Measurement = Record<string, unknown>;
const DAY = 86_400;

/** An ISEMS log line of `node` at epoch second `t` (19 fields with `status`, else 18). */
function line(
  node: string,
  t: number,
  values: { shutdown?: number; powerSave?: 0 | 1; status?: string } = {},
): string {
  const fields = [
    node,
    '1',
    String(t),
    'ATmega8_A_1',
    String(values.shutdown ?? 711),
    String(values.powerSave ?? 0),
    '18.614',
    '18.614',
    '14.073',
    '100',
    '100',
    '28',
    '11.67',
    '14.086',
    '7',
    '20',
    '52.507309',
    '13.458635',
  ];
  if (values.status !== undefined) fields.push(values.status);
  return fields.join(';');
}

/** Epoch seconds as wall-clock time in Europe/Berlin, ISO without offset (Python's naive `isoformat()`). */
function berlin(t: number): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Berlin',
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(t * 1000));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}`;
}

const BASIC = `[lan]
type = application
realm = lan
application = basic
http_api = true
hide_inactive_after_days = 10
`;
const TELEGRAF = `[tele]
type = application
realm = tele
topic_template = sensors/{node}/{field}
http_api = true
`;
const ORIGIN = 'https://isems.example.org';

for (const store of ['influxdb', 'sqlite'] as const) {
  describe(`ISEMS data collector API and realm-wide latest on ${store} (real mosquitto${store === 'influxdb' ? ', real influxd' : ''}, daqd process)`, function () {
    this.timeout(120_000);
    let broker: MosquittoProcess;
    let influx: InfluxdProcess | undefined;
    let daemon: DaemonProcess;
    let publisher: mqtt.MqttClient;
    let dir = '';
    let base = '';
    const now = Math.floor(Date.now() / 1000);
    const busyLines = Array.from({ length: 1500 }, (_, i) =>
      line('Busy', now - 60 * (1500 - i), { shutdown: i }),
    );

    async function get(
      pathAndQuery: string,
      init?: RequestInit,
    ): Promise<{ status: number; body: unknown; res: Response }> {
      const res = await fetch(base + pathAndQuery, init);
      const text = await res.text();
      return { status: res.status, body: text === '' ? undefined : JSON.parse(text), res };
    }

    async function measurements(pathAndQuery: string): Promise<Measurement[]> {
      const { status, body } = await get(pathAndQuery);
      expect(status, JSON.stringify(body)).to.equal(200);
      expect(Object.keys(body as object)).to.deep.equal(['measurements']);
      return (body as { measurements: Measurement[] }).measurements;
    }

    before(async () => {
      [broker, influx] = await Promise.all([
        startMosquitto(),
        store === 'influxdb' ? startInfluxd() : undefined,
      ]);
      dir = await mkdtemp(path.join(tmpdir(), `daqd-isems-api-${store}-`));
      await mkdir(path.join(dir, 'apps'));
      // The shipped app as it is, with the realm-wide overview on.
      const shipped = await readFile(path.join(ROOT, 'apps-available', 'isems.ini'), 'utf8');
      await writeFile(path.join(dir, 'apps', 'isems.ini'), `${shipped}\nhttp_api = true\n`);
      await writeFile(path.join(dir, 'apps', 'lan.ini'), BASIC);
      await writeFile(path.join(dir, 'apps', 'tele.ini'), TELEGRAF);
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      const storage =
        influx === undefined
          ? '[storage]\nbackend = sqlite\n'
          : `[influxdb]\nurl = ${influx.url}\nflush_interval = 20\n`;
      const config = path.join(dir, 'daqd.ini');
      await writeFile(
        config,
        `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\ntimezone = UTC\nmetrics_logger_interval = 0\n` +
          `[http]\nlisten = 127.0.0.1\nport = ${port}\ncors_origins = ${ORIGIN}\n` +
          `[mqtt]\nport = ${broker.port}\nclient_id = daqd-isems-api-${path.basename(dir)}\n${storage}`,
      );
      daemon = new DaemonProcess(config);
      await daemon.waitFor(/ready: 3 realm/, 20_000);
      await daemon.waitFor(/connected to broker[^\n]*-isems'/, 20_000);
      await daemon.waitFor(/connected to broker[^\n]*-tele'/, 20_000);
      await daemon.waitFor(/connected to broker[^\n]*-lan'/, 20_000);
      publisher = await mqtt.connectAsync(broker.url, { clientId: `isems-api-test-${path.basename(dir)}` });

      const elektra = [
        line('Elektra-Dach', now - 7200, { powerSave: 1 }),
        line('Elektra-Dach', now - 3600, { status: '0' }),
        line('Elektra-Dach', now - 1800, { status: '300' }),
      ];
      await publisher.publishAsync('/isems/Elektra-Dach/csvlog', elektra.join('\n'), { qos: 1 });
      await publisher.publishAsync('/isems/Alt-Node/csvlog', line('Alt-Node', now - 45 * DAY), { qos: 1 });
      await publisher.publishAsync('/isems/Busy/csvlog', busyLines.join('\n'), { qos: 1 });
      await publisher.publishAsync('lan/n1/data.json', JSON.stringify({ weight: 41.5 }), { qos: 1 });
      await publisher.publishAsync('lan/n2/data.json', JSON.stringify({ time: now - 20 * DAY, weight: 7 }), {
        qos: 1,
      });
      await publisher.publishAsync('sensors/kitchen/temperature', '21.5', { qos: 1 });
      await publisher.publishAsync('sensors/cellar/humidity', '80', { qos: 1 });
      // Everything stored: the newest 1,440 of Busy, and the last of the other realms.
      await eventually(
        'every reading stored',
        async () => {
          const busy = (await get('/measurements/Busy/latest')).body as { measurements?: Measurement[] };
          const lan = (await get('/api/lan/latest?all=true')).body;
          const tele = (await get('/api/tele/latest')).body;
          const done =
            busy.measurements?.length === 1440 &&
            busy.measurements[0]?.['timeToShutdown'] === 1499 &&
            Array.isArray(lan) &&
            lan.length === 2 &&
            Array.isArray(tele) &&
            tele.length === 2;
          return done ? true : undefined;
        },
        60_000,
      );
    });

    after(async () => {
      await publisher?.endAsync();
      await daemon?.stop();
      await Promise.all([broker?.stop(), influx?.stop()]);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('/measurements/latest: the newest measurement of each active node, sorted by nodeId, in the collector shape', async () => {
      const list = await measurements('/measurements/latest');
      expect(list.map((m) => m['nodeId'])).to.deep.equal(['Busy', 'Elektra-Dach']);
      for (const m of list) expect(Object.keys(m)).to.deep.equal(COLLECTOR_KEYS);
      const elektra = list[1]!;
      expect(elektra).to.deep.include({
        nodeId: 'Elektra-Dach',
        isemsRevision: '1',
        openMPPTFirmwareVersion: 'ATmega8_A_1',
        timestamp: berlin(now - 1800),
        status: '0x300',
        isPowerSaveMode: false,
        timeToShutdown: 711,
        openCircuitVoltage: 18.614,
        batteryVoltage: 14.073,
        batteryChargeEstimate: 100,
        lowVoltageDisconnectVoltage: 11.67,
        latitude: 52.507309,
        longitude: 13.458635,
      });
      expect(elektra['timestamp']).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      for (const key of FLOAT_KEYS) expect(elektra[key], key).to.be.a('number');
      expect(Number.isSafeInteger(elektra['id'])).to.equal(true);
      expect(elektra['id']).to.not.equal(list[0]!['id']);
      expect(list[0]).to.include({
        nodeId: 'Busy',
        timeToShutdown: 1499,
        timestamp: berlin(now - 60),
        status: '0x000',
      });
    });

    it('?all=true adds the nodes silent for longer than hide_inactive_after_days, status 0x000 when the line had none', async () => {
      const list = await measurements('/measurements/latest?all=true');
      expect(list.map((m) => m['nodeId'])).to.deep.equal(['Alt-Node', 'Busy', 'Elektra-Dach']);
      expect(list[0]).to.include({
        status: '0x000',
        timestamp: berlin(now - 45 * DAY),
        isPowerSaveMode: false,
      });
      expect(Object.keys(list[0]!)).to.deep.equal(COLLECTOR_KEYS);
      // As the collector reads `all`: only `true` shows them.
      expect((await measurements('/measurements/latest?all=1')).map((m) => m['nodeId'])).to.deep.equal([
        'Busy',
        'Elektra-Dach',
      ]);
    });

    it('/measurements/<nodeId>/latest: the newest 1,440 measurements of the node, newest first', async () => {
      const busy = await measurements('/measurements/Busy/latest');
      expect(busy).to.have.length(1440);
      expect(busy[0]).to.include({ timeToShutdown: 1499, timestamp: berlin(now - 60) });
      expect(busy[1439]).to.include({ timeToShutdown: 60, timestamp: berlin(now - 60 * 1440) });
      const shutdowns = busy.map((m) => m['timeToShutdown'] as number);
      expect(shutdowns).to.deep.equal(Array.from({ length: 1440 }, (_, i) => 1499 - i));
      expect(new Set(busy.map((m) => m['id'])).size).to.equal(1440);

      const elektra = await measurements('/measurements/Elektra-Dach/latest');
      expect(elektra.map((m) => [m['timestamp'], m['status'], m['isPowerSaveMode']])).to.deep.equal([
        [berlin(now - 1800), '0x300', false],
        [berlin(now - 3600), '0x000', false],
        [berlin(now - 7200), '0x000', true],
      ]);
      for (const m of elektra) expect(Object.keys(m)).to.deep.equal(COLLECTOR_KEYS);
      // An unknown node: an empty list, as the collector answers.
      expect(await measurements('/measurements/Nobody/latest')).to.deep.equal([]);
    });

    it('the realm-prefixed base answers the same; HEAD too; other methods 405', async () => {
      expect(await measurements('/api/isems/measurements/latest')).to.deep.equal(
        await measurements('/measurements/latest'),
      );
      expect(await measurements('/api/isems/measurements/Elektra-Dach/latest')).to.deep.equal(
        await measurements('/measurements/Elektra-Dach/latest'),
      );
      expect((await fetch(`${base}/measurements/latest`, { method: 'HEAD' })).status).to.equal(200);
      expect((await get('/api/isems/measurements/latest', { method: 'POST', body: '{}' })).status).to.equal(
        405,
      );
      // A realm without isems_api has no such routes.
      expect((await get('/api/lan/measurements/latest')).status).to.equal(404);
    });

    it('CORS: an answer to a listed origin carries its Access-Control-Allow-Origin', async () => {
      const { res } = await get('/measurements/latest', { headers: { Origin: ORIGIN } });
      expect(res.headers.get('access-control-allow-origin')).to.equal(ORIGIN);
      expect(res.headers.get('vary')).to.match(/Origin/);
      const other = await get('/measurements/latest', { headers: { Origin: 'https://elsewhere.example' } });
      expect(other.status).to.equal(200);
      expect(other.res.headers.get('access-control-allow-origin')).to.equal(null);
    });

    it('latest for the basic strategy: every node of the realm, inactive ones hidden unless all=true', async () => {
      const { status, body, res } = await get('/api/lan/latest');
      expect(status).to.equal(200);
      expect(body).to.have.length(1);
      expect((body as Measurement[])[0]).to.deep.include({
        node: 'n1',
        database: 'lan_n1',
        measurement: 'sensors',
        data: { weight: 41.5 },
      });
      expect(res.headers.get('hidden-nodes')).to.equal('1');
      const all = (await get('/api/lan/latest?all=true')).body as Measurement[];
      expect(all.map((e) => [e['node'], e['time']])).to.deep.equal([
        ['n1', (all[0] as Measurement)['time']],
        ['n2', new Date((now - 20 * DAY) * 1000).toISOString().replace('.000Z', 'Z')],
      ]);
      // The one-node form stays.
      expect(((await get('/api/lan/n2/latest?all=true')).body as Measurement[])[0]).to.include({
        node: 'n2',
      });
    });

    it('latest for a topic template app: every node of the realm; it has no per-network form', async () => {
      const { status, body } = await get('/api/tele/latest');
      expect(status).to.equal(200);
      expect((body as Measurement[]).map((e) => [e['node'], e['database'], e['data']])).to.deep.equal([
        ['cellar', 'tele_cellar', { humidity: 80 }],
        ['kitchen', 'tele_kitchen', { temperature: 21.5 }],
      ]);
      const perNode = await get('/api/tele/kitchen/latest');
      expect(perNode.status).to.equal(404);
      expect((perNode.body as { message: string }).message).to.include('GET /api/tele/latest');
      // No HTTP ingest for a template app.
      expect((await get('/api/tele/kitchen/data', { method: 'POST', body: '{"a": 1}' })).status).to.equal(
        404,
      );
      // The ISEMS realm's own overview: its nodes' databases.
      const isems = (await get('/api/isems/latest?all=true')).body as Measurement[];
      expect(isems.map((e) => e['database'])).to.deep.equal([
        'isems_alt_node',
        'isems_busy',
        'isems_elektra_dach',
      ]);
    });
  });
}
