import { expect } from 'chai';
import type mqtt from 'mqtt';
import { type DaqdStack, type ErrorReport, startDaqdStack } from '../../support/daqd-stack.js';
import { eventually } from '../../support/eventually.js';
import type { InfluxdProcess } from '../../support/influxd.js';
import { MYSENSE_TELEGRAM } from './mysense.fixtures.js';

/**
 * MySense end to end: the shipped `apps-available/mysense.ini` in a daqd process, MySense's documented
 * telegram published on `IoS/<project>/<serial>` to a real mosquitto, read back from a real influxd.
 */
describe('MySense: MQTT → InfluxDB (real mosquitto, real influxd, daqd process)', function () {
  this.timeout(120_000);
  let stack: DaqdStack;
  let influx: InfluxdProcess;
  let publisher: mqtt.MqttClient;
  let errors: ErrorReport[];
  const rows = (database: string, measurement: string, n?: number) => stack.rows(database, measurement, n);

  before(async () => {
    stack = await startDaqdStack({
      name: 'mysense',
      shipped: ['mysense.ini'],
      errorTopics: 'IoS/+/error.json',
      readyWhen: [/ready: 1 realm/, /connected to broker[^\n]*-mysense'/],
    });
    ({ influx, publisher, errors } = stack);
  });

  after(async () => {
    await stack?.stop();
  });

  it("stores MySense's telegram in <project>_<serial>: series info and data, tagged", async () => {
    const before = Date.now();
    await publisher.publishAsync('IoS/BdP/test_sense', JSON.stringify(MYSENSE_TELEGRAM), { qos: 1 });
    const [data] = await rows('bdp_test_sense', 'data');
    expect(data).to.deep.equal({
      time: '2017-05-14T16:02:52Z',
      project: 'BdP',
      serial: 'test_sense',
      label: 'alphaTest',
      geolocation: '51.420635,6.1356117,22.9',
      pm_25: 318.5,
      pm_10: 62,
      dtemp: 27.8,
      drh: 29.3,
      temp: 28.75,
      rh: 25,
      hpa: 712,
    });
    const [info] = await rows('bdp_test_sense', 'info');
    const { time, ...rest } = info!;
    expect(rest).to.deep.equal({
      project: 'BdP',
      serial: 'test_sense',
      label: 'alphaTest',
      geolocation: '51.420635,6.1356117,22.9',
      fields: 'time,pm_25,pm_10,dtemp,drh,temp,rh,hpa',
      extern_ip: '83.161.151.250',
      units: 's,pcs/qf,pcs/qf,C,%,C,%,hPa',
      types: 'time,Dylos DC1100,Dylos DC1100,DHT22,DHT22,BME280,BME280,BME280',
    });
    // The info series has no time of its own: the receive time.
    expect(Date.parse(String(time))).to.be.within(before - 1000, Date.now() + 1000);
    // The database holds MySense's two series and nothing else (no raw metadata.* fields elsewhere).
    const measurements = (await influx.query('SHOW MEASUREMENTS', 'bdp_test_sense')) as {
      results: { series?: { values: string[][] }[] }[];
    };
    expect(measurements.results[0]?.series?.[0]?.values.map((v) => v[0])).to.deep.equal(['data', 'info']);
  });

  it('answers a malformed telegram on IoS/<project>/error.json once, and stores nothing of it', async () => {
    await publisher.publishAsync(
      'IoS/BdP/broken_kit',
      JSON.stringify({ metadata: { project: 'BdP', serial: 'broken_kit', label: 'x' }, data: [1, 2] }),
      { qos: 1 },
    );
    const report = await eventually('an error report', async () => errors[0]);
    expect(report.topic).to.equal('IoS/BdP/error.json');
    expect(report.body['message']).to.match(/MySense document: data is an array, not an object/);
    // A telegram published after the report is stored, and the report was not answered in turn.
    await publisher.publishAsync(
      'IoS/BdP/broken_kit',
      JSON.stringify({ metadata: { label: 'x' }, data: { pm_25: 3 } }),
      {
        qos: 1,
      },
    );
    const [row] = await rows('bdp_broken_kit', 'data');
    expect(row?.['pm_25']).to.equal(3);
    expect(errors).to.have.length(1);
  });
});
