import { expect } from 'chai';
import type mqtt from 'mqtt';
import { type DaqdStack, type ErrorReport, type Row, startDaqdStack } from '../../support/daqd-stack.js';
import { eventually } from '../../support/eventually.js';
import { SONOFF_SC_SENSOR, STATE_MESSAGE, WEMOS_MULTI_SENSOR } from './tasmota.fixtures.js';

/**
 * Tasmota end to end: a device's documented `tele/SENSOR` and `tele/STATE` payloads, published to a
 * real mosquitto on Kotori's layout (Full Topic `<realm>/<net>/<gw>/%topic%/%prefix%/`), reach a real
 * influxd through a daqd process running the shipped `apps-available/tasmota.ini`, with Kotori's
 * field names and the zone-less `Time` read in the configured zone.
 */
describe('Tasmota: MQTT → InfluxDB (real mosquitto, real influxd, daqd process, shipped app)', function () {
  this.timeout(120_000);
  let stack: DaqdStack;
  let publisher: mqtt.MqttClient;
  let errors: ErrorReport[];
  const select = (database: string, measurement: string) => stack.select(database, measurement);

  /** The one row of a measurement, once it is there. */
  function row(database: string, measurement: string): Promise<Row> {
    return eventually(
      `a row in ${database}.${measurement}`,
      async () => (await select(database, measurement))[0],
    );
  }

  function publish(topic: string, payload: string | object): Promise<unknown> {
    return publisher.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), {
      qos: 1,
    });
  }

  before(async () => {
    stack = await startDaqdStack({
      name: 'tasmota',
      shipped: ['tasmota.ini'],
      timezone: 'Europe/Berlin',
      errorTopics: 'tasmota/#',
      readyWhen: [/ready: 1 realm/, /connected to broker/],
    });
    ({ publisher, errors } = stack);
  });

  after(async () => {
    await stack?.stop();
  });

  it('stores a SENSOR reading as <sensor>.<value> at its Time, read in the configured zone', async () => {
    await publish('tasmota/itest/foo/bar/tele/SENSOR', SONOFF_SC_SENSOR);
    // Kotori's test_tasmota_sonoff_sc: 22:13:07 local (CEST) is 20:13:07Z; the unit TempUnit is dropped.
    expect(await row('tasmota_itest', 'foo_bar_sensors')).to.deep.equal({
      time: '2019-06-02T20:13:07Z',
      'SonoffSC.AirQuality': 90,
      'SonoffSC.Humidity': 15,
      'SonoffSC.Light': 20,
      'SonoffSC.Noise': 10,
      'SonoffSC.Temperature': 25,
    });
  });

  it('stores several sensors, DS18x20 probes without Type and Address', async () => {
    await publish('tasmota/itest/foo/wemos/tele/SENSOR', WEMOS_MULTI_SENSOR);
    expect(await row('tasmota_itest', 'foo_wemos_sensors')).to.deep.equal({
      time: '2017-10-05T20:39:45Z',
      'DHT22.Temperature': 33.2,
      'DHT22.Humidity': 30,
      'DS18x20.DS1.Temperature': 25.37,
      'DS18x20.DS2.Temperature': 30.44,
      'DS18x20.DS3.Temperature': 25.81,
    });
  });

  it('stores what Kotori keeps of STATE (Device.*), without POWER', async () => {
    await publish('tasmota/itest/foo/plug/tele/STATE', { ...STATE_MESSAGE, POWER: 'ON' });
    expect(await row('tasmota_itest', 'foo_plug_sensors')).to.deep.equal({
      time: '2019-06-02T20:13:07Z',
      'Device.Vcc': 3.182,
      'Device.Sleep': 50,
      'Device.LoadAvg': 19,
      'Device.Wifi.Channel': 1,
      'Device.Wifi.RSSI': 100,
      'Device.Wifi.LinkCount': 1,
    });
  });

  it('answers a malformed or empty SENSOR payload on error.json and stores nothing of it', async () => {
    await publish('tasmota/itest/foo/broken/tele/SENSOR', '{"Time":"2019-06-02T22:13:07","DS18B20":');
    await publish('tasmota/itest/foo/unitonly/tele/SENSOR', '{"Time":"2019-06-02T22:13:07","TempUnit":"C"}');
    const report = (node: string) =>
      eventually(`an error report for '${node}'`, async () =>
        errors.find((e) => e.topic === `tasmota/itest/foo/${node}/error.json`),
      );
    expect(String((await report('broken')).body['message'])).to.match(/payload is not valid JSON/);
    expect(String((await report('unitonly')).body['message'])).to.match(/payload holds no sensor values/);
    expect(await select('tasmota_itest', 'foo_broken_sensors')).to.deep.equal([]);
    expect(await select('tasmota_itest', 'foo_unitonly_sensors')).to.deep.equal([]);
  });
});
