import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { ApiStack } from '../../http/harness.js';
import { ROOT } from '../../support/daqd.js';
import { TTN_UPLINK } from './ttn.fixtures.js';

type Message = { type: string; message: string };

/** The fields the documented uplink (`TTN_UPLINK`) is stored with, as InfluxDB gives them back. */
const STORED = {
  time: '2024-05-17T08:15:42.123456789Z',
  device_id: 'hive-scale-7',
  temperature_1: 22.8,
  relative_humidity_2: 40,
  weight: 31.25,
  bw: 125,
  sf: 9,
  freq: 867.3,
  counter: 1042,
  gtw_count: 2,
  'gw_garden-gw_rssi': -97,
  'gw_garden-gw_snr': 8.25,
  'gw_church-tower_rssi': -118,
  'gw_church-tower_snr': -9.5,
};

describe('TTN v3 uplinks (shipped ttn app; real influxd and mosquitto, daqd process)', function () {
  this.timeout(60_000);
  let stack: ApiStack;

  before(async () => {
    const app = await readFile(path.join(ROOT, 'apps-available/ttn.ini'), 'utf8');
    stack = new ApiStack({ ttn: app });
    await stack.start();
  });
  after(() => stack.stop());

  it('stores a webhook uplink posted to …/data with Kotori’s fields and received_at as its time', async () => {
    const res = await stack.post(
      '/api/ttn/apiary/garden/hive-7/data',
      'application/json',
      JSON.stringify(TTN_UPLINK),
    );
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal([{ type: 'info', message: 'Received #1 readings' }]);
    expect(await stack.databases()).to.include('ttn_apiary');
    const rows = await stack.select('ttn_apiary', 'garden_hive_7_sensors');
    expect(rows).to.have.length(1);
    expect(rows[0]).to.deep.equal(STORED);
  });

  it('takes the device id as the node with one webhook for all devices (…/channel/<net>-<gw>{/devID})', async () => {
    const res = await stack.post(
      '/api/ttn/channel/apiary-tower-hive-scale-7/data',
      'application/json',
      JSON.stringify(TTN_UPLINK),
    );
    expect(res.status, await res.clone().text()).to.equal(200);
    const rows = await stack.select('ttn_apiary', 'tower_hive_scale_7_sensors');
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ time: STORED.time, temperature_1: 22.8, 'gw_garden-gw_rssi': -97 });
  });

  it('refuses a malformed uplink with 400 naming the problem, and stores nothing of it', async () => {
    const { decoded_payload: _dropped, ...uplinkMessage } = TTN_UPLINK.uplink_message;
    const res = await stack.post(
      '/api/ttn/apiary/garden/bad-1/data',
      'application/json',
      JSON.stringify({ ...TTN_UPLINK, uplink_message: uplinkMessage }),
    );
    expect(res.status).to.equal(400);
    const body = (await res.json()) as Message;
    expect(body.type).to.equal('error');
    expect(body.message).to.match(/uplink_message\.decoded_payload/);

    const wrong = structuredClone(TTN_UPLINK) as { uplink_message: { rx_metadata: unknown } };
    wrong.uplink_message.rx_metadata = { rssi: -1 };
    const res2 = await stack.post(
      '/api/ttn/apiary/garden/bad-1/data',
      'application/json',
      JSON.stringify(wrong),
    );
    expect(res2.status).to.equal(400);
    expect(((await res2.json()) as Message).message).to.match(
      /uplink_message\.rx_metadata is an object, not an array/,
    );
    expect(await stack.select('ttn_apiary', 'garden_bad_1_sensors')).to.deep.equal([]);
  });

  it('recognises an uplink published on MQTT …/data.json too, as Kotori does', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${stack.broker.port}`, {
      clientId: 'ttn-int-node',
    });
    try {
      await client.publishAsync('ttn/apiary/garden/mqtt-7/data.json', JSON.stringify(TTN_UPLINK), { qos: 1 });
    } finally {
      await client.endAsync();
    }
    const rows = await stack.storedRows('ttn_apiary', 'garden_mqtt_7_sensors', Object.keys(STORED));
    expect(rows).to.have.length(1);
    expect(rows[0]).to.deep.equal(STORED);
  });
});
