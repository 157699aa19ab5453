import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { ApiStack } from '../../http/harness.js';
import { ROOT } from '../../support/daqd.js';
import { AIRROHR_READING, AIRROHR_UPLOAD } from './airrohr.fixtures.js';

type Message = { type: string; message: string };

/** The firmware's request headers (`X-Sensor: esp8266-<chip id>`, `X-Pin`: the sensor's pin). */
const FIRMWARE_HEADERS = {
  'content-type': 'application/json',
  'x-sensor': 'esp8266-15307332',
  'x-pin': '1',
};

describe('airrohr uploads (shipped airrohr app; real influxd and mosquitto, daqd process)', function () {
  this.timeout(60_000);
  let stack: ApiStack;

  before(async () => {
    const app = await readFile(path.join(ROOT, 'apps-available/airrohr.ini'), 'utf8');
    stack = new ApiStack({ airrohr: app });
    await stack.start();
  });
  after(() => stack.stop());

  it('stores the firmware’s POST to …/custom/airrohr: a number field per value_type, nothing else', async () => {
    const before = Date.now();
    const res = await stack.fetch('/api/airrohr/luftdaten/berlin/node-42/custom/airrohr', {
      method: 'POST',
      headers: FIRMWARE_HEADERS,
      body: JSON.stringify(AIRROHR_UPLOAD),
    });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal([{ type: 'info', message: 'Received #1 readings' }]);
    expect(await stack.databases()).to.include('airrohr_luftdaten');
    const rows = await stack.select('airrohr_luftdaten', 'berlin_node_42_sensors');
    expect(rows).to.have.length(1);
    const { time, ...fields } = rows[0]!;
    expect(fields).to.deep.equal(AIRROHR_READING);
    // The firmware sends no time: the reading gets the time the request arrived.
    expect(Date.parse(String(time))).to.be.within(before - 1000, Date.now() + 1000);
  });

  it('refuses a body that is not the firmware’s JSON with 400 naming the problem, storing nothing', async () => {
    const cases: [string, RegExp][] = [
      ['{"temperature": 21.5}', /airrohr payload has no sensordatavalues/],
      [
        '{"sensordatavalues": [{"value_type": "SDS_P1", "value": {"x": 1}}]}',
        /value of 'SDS_P1' is an object/,
      ],
      ['', /airrohr payload is empty/],
    ];
    for (const [body, message] of cases) {
      const res = await stack.fetch('/api/airrohr/luftdaten/berlin/bad-1/custom/airrohr', {
        method: 'POST',
        headers: FIRMWARE_HEADERS,
        body,
      });
      expect(res.status, body).to.equal(400);
      const answer = (await res.json()) as Message;
      expect(answer.type).to.equal('error');
      expect(answer.message).to.match(message);
    }
    expect(await stack.select('airrohr_luftdaten', 'berlin_bad_1_sensors')).to.deep.equal([]);
  });

  it('still takes ordinary readings on …/data', async () => {
    const res = await stack.post(
      '/api/airrohr/luftdaten/berlin/node-43/data',
      'application/json',
      '{"v": 1}',
    );
    expect(res.status).to.equal(200);
    expect(await stack.select('airrohr_luftdaten', 'berlin_node_43_sensors')).to.have.length(1);
  });

  it('decodes the same JSON published on MQTT …/custom/airrohr.json', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${stack.broker.port}`, {
      clientId: 'airrohr-int-node',
    });
    try {
      await client.publishAsync(
        'airrohr/luftdaten/berlin/node-44/custom/airrohr.json',
        JSON.stringify(AIRROHR_UPLOAD),
        {
          qos: 1,
        },
      );
    } finally {
      await client.endAsync();
    }
    const rows = await stack.storedRows(
      'airrohr_luftdaten',
      'berlin_node_44_sensors',
      Object.keys(AIRROHR_READING),
    );
    expect(rows).to.have.length(1);
    const { time: _time, ...fields } = rows[0]!;
    expect(fields).to.deep.equal(AIRROHR_READING);
  });
});
