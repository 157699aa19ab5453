import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type mqtt from 'mqtt';
import { type DaqdStack, type ErrorReport, startDaqdStack } from '../../support/daqd-stack.js';
import { eventually } from '../../support/eventually.js';
import { AIRROHR_READING, AIRROHR_UPLOAD } from './airrohr.fixtures.js';
import { ECOWITT_UPLOAD } from './ecowitt.fixtures.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');

/** The loop packet of Kotori's test_weewx.py (a Vantage Pro 2), a part of its fields. */
const WEEWX_LOOP = {
  windSpeed10_kph: '5.78725803977',
  cloudbase_meter: '773.082217509',
  consBatteryVoltage_volt: '4.72',
  dateTime: '1492467300.0',
  outTemp_C: '3.55555555556',
  usUnits: '16.0',
};

/**
 * Vendor apps through a daqd process, with a real mosquitto and a real influxd: Kotori's own
 * `vendors/luftdaten.ini` as Kotori ships it (a composite app) taking airrohr uploads, and apps naming
 * the Homie, WeeWX and Ecowitt decoders with `decoder = …`.
 */
describe('vendor apps: luftdaten (Kotori file as it is), decoder = homie|weewx|ecowitt (real mosquitto, influxd, daqd process)', function () {
  this.timeout(120_000);
  let stack: DaqdStack;
  let publisher: mqtt.MqttClient;
  let errors: ErrorReport[];
  const rows = (database: string, measurement: string, n?: number) => stack.rows(database, measurement, n);
  /**
   * The one row of a measurement once it has every field in `keys`: a query may run while influxd is
   * still writing a point it got over MQTT (the publisher's PUBACK comes from the broker, not from daqd).
   */
  const complete = (database: string, measurement: string, keys: readonly string[]) =>
    eventually(`a complete row in ${database}.${measurement}`, async () => {
      const [row] = await stack.select(database, measurement);
      return row !== undefined && keys.every((key) => row[key] !== null && row[key] !== undefined)
        ? row
        : undefined;
    });
  const post = (url: string, type: string, body: string) =>
    fetch(`http://127.0.0.1:${stack.httpPort}${url}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
  const publish = (topic: string, payload: string) => publisher.publishAsync(topic, payload, { qos: 1 });
  const errorOn = (prefix: string) =>
    eventually(`an error report under ${prefix}`, async () => errors.find((e) => e.topic.startsWith(prefix)));

  before(async () => {
    stack = await startDaqdStack({
      name: 'vendor-apps',
      apps: {
        'luftdaten.ini': await readFile(
          path.join(fixtures, 'kotori/development/etc/examples/vendors/luftdaten.ini'),
          'utf8',
        ),
        'wx.ini': '[wx]\ntype = application\nrealm = wx\napplication = mqttkit\ndecoder = weewx\n',
        'hm.ini': '[hm]\ntype = application\nrealm = hm\napplication = basic\ndecoder = homie\n',
        'eco.ini':
          '[eco]\ntype = application\nrealm = eco\napplication = mqttkit\nhttp_api = true\ndecoder = ecowitt\n',
      },
      errorTopics: '#',
      readyWhen: [
        /ready: 4 realm/,
        /connected to broker[^\n]*-luftdaten'/,
        /connected to broker[^\n]*-wx'/,
        /connected to broker[^\n]*-hm'/,
        /connected to broker[^\n]*-eco'/,
      ],
    });
    ({ publisher, errors } = stack);
  });

  after(async () => {
    await stack?.stop();
  });

  describe("Kotori's luftdaten vendor app (composite:boot, WanBusStrategy)", () => {
    it('stores an airrohr upload POSTed to the app’s …/data path: a number field per value_type', async () => {
      const before = Date.now();
      const res = await fetch(
        `http://127.0.0.1:${stack.httpPort}/api/luftdaten/berlin/mitte/station-7/data`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-sensor': 'esp8266-15307332', 'x-pin': '1' },
          body: JSON.stringify(AIRROHR_UPLOAD),
        },
      );
      expect(res.status, await res.clone().text()).to.equal(200);
      expect(await res.json()).to.deep.equal([{ type: 'info', message: 'Received #1 readings' }]);
      const [row, ...more] = await rows('luftdaten_berlin', 'mitte_station_7_sensors');
      expect(more).to.deep.equal([]);
      const { time, ...fields } = row!;
      expect(fields).to.deep.equal(AIRROHR_READING);
      expect(Date.parse(String(time))).to.be.within(before - 1000, Date.now() + 1000);
    });

    it('reads the upload back through the file’s export forwarder', async () => {
      await rows('luftdaten_berlin', 'mitte_station_7_sensors');
      const res = await fetch(
        `http://127.0.0.1:${stack.httpPort}/api/luftdaten/berlin/mitte/station-7/data.json?from=2000-01-01`,
      );
      expect(res.status, await res.clone().text()).to.equal(200);
      const exported = (await res.json()) as Record<string, unknown>[];
      expect(exported).to.have.length(1);
      expect(exported[0]).to.include({ SDS_P1: 12.43, BME280_temperature: -1.25 });
    });

    it('stores an upload published on …/custom/airrohr.json (Kotori’s airrohr slot) over MQTT', async () => {
      await publish('luftdaten/berlin/mitte/station-8/custom/airrohr.json', JSON.stringify(AIRROHR_UPLOAD));
      const row = await complete('luftdaten_berlin', 'mitte_station_8_sensors', Object.keys(AIRROHR_READING));
      const { time: _time, ...fields } = row!;
      expect(fields).to.deep.equal(AIRROHR_READING);
    });

    it('refuses a malformed upload with 400 naming the part, storing nothing; plain readings still work', async () => {
      const bad = await post(
        '/api/luftdaten/berlin/mitte/broken/data',
        'application/json',
        JSON.stringify({ esp8266id: '1', sensordatavalues: { SDS_P1: '3' } }),
      );
      expect(bad.status).to.equal(400);
      expect(await bad.text()).to.match(/airrohr upload sensordatavalues is an object, not an array/);
      const plain = await post('/api/luftdaten/berlin/mitte/plain/data', 'application/json', '{"P1": 7.5}');
      expect(plain.status).to.equal(200);
      expect((await rows('luftdaten_berlin', 'mitte_plain_sensors'))[0]).to.include({ P1: 7.5 });
      expect(await stack.select('luftdaten_berlin', 'mitte_broken_sensors')).to.deep.equal([]);
    });
  });

  describe('decoder = weewx', () => {
    it('stores a loop packet on any topic of the realm at its dateTime, values as numbers', async () => {
      await publish('wx/home/roof/vantage/status', JSON.stringify(WEEWX_LOOP));
      const row = await complete('wx_home', 'roof_vantage_sensors', [
        'outTemp_C',
        'usUnits',
        'cloudbase_meter',
      ]);
      // Kotori's test_weewx.py: dateTime 1492467300.0 is 2017-04-17T22:15:00Z.
      expect(row).to.deep.equal({
        time: '2017-04-17T22:15:00Z',
        windSpeed10_kph: 5.78725803977,
        cloudbase_meter: 773.082217509,
        consBatteryVoltage_volt: 4.72,
        outTemp_C: 3.55555555556,
        usUnits: 16,
      });
    });

    it('answers a packet whose dateTime is no time on error.json, storing nothing', async () => {
      await publish('wx/home/roof/broken/loop', '{"dateTime": "noon", "outTemp_C": "3.5"}');
      const report = await errorOn('wx/home/roof/broken/');
      expect(report.topic).to.equal('wx/home/roof/broken/error.json');
      expect(report.body['message']).to.match(/dateTime is 'noon', not epoch seconds/);
      expect(await stack.select('wx_home', 'roof_broken_sensors')).to.deep.equal([]);
    });
  });

  describe('decoder = homie', () => {
    it("stores Kotori's Homie reading on any topic of the realm", async () => {
      await publish('hm/node-1/properties', '{"temperature": 42.84, "humidity": 83.1}');
      const row = await complete('hm_node_1', 'sensors', ['temperature', 'humidity']);
      const { time: _time, ...fields } = row!;
      expect(fields).to.deep.equal({ temperature: 42.84, humidity: 83.1 });
    });

    it('stores event/__json__ as an event', async () => {
      await publish('hm/node-1/event/__json__', '{"title": "Door", "text": "opened"}');
      const row = await complete('hm_node_1', 'events', ['title', 'text']);
      expect(row).to.include({ title: 'Door', text: 'opened' });
    });
  });

  describe('decoder = ecowitt', () => {
    it('stores a station’s upload POSTed with any Content-Type, without its PASSKEY', async () => {
      const res = await post('/api/eco/garden/gw/station/data', 'text/plain', ECOWITT_UPLOAD);
      expect(res.status, await res.clone().text()).to.equal(200);
      const [row] = await rows('eco_garden', 'gw_station_sensors');
      expect(row).to.include({
        tempf: 48.4,
        humidity: 80,
        baromrelin: 29.713,
        model: 'HP1000SE-PRO_Pro_V1.8.5',
        stationtype: 'EasyWeatherPro_V5.0.6',
        dateutc: '2023-02-20 16:02:19',
      });
      expect(row).not.to.have.any.keys('PASSKEY', 'passkey');
    });

    it('stores an upload published over MQTT, and refuses one that is not form fields', async () => {
      await publish('eco/garden/gw/station-2/data', 'PASSKEY=X&tempf=50.1&humidity=71');
      const row = await complete('eco_garden', 'gw_station_2_sensors', ['tempf', 'humidity']);
      expect(row).to.include({ tempf: 50.1, humidity: 71 });
      expect(row).not.to.have.any.keys('PASSKEY');
      const bad = await post('/api/eco/garden/gw/bad/data', 'application/json', '{"tempf": 1}');
      expect(bad.status).to.equal(400);
      expect(await bad.text()).to.match(/Ecowitt upload is JSON, not form fields/);
      expect(await stack.select('eco_garden', 'gw_bad_sensors')).to.deep.equal([]);
    });
  });
});
