import { expect } from 'chai';
import {
  measurementId,
  statusText,
  toIsemsMeasurement,
  wallClockIso,
} from '../../lib/http/isems-measurement.js';

const S = 1_000_000_000n;
/** The collector's importer test line `Elektra-Dach;1;1530364575;…;300` as `csv_fields = isems` stores it. */
const STORED = {
  nodeId: 'Elektra-Dach',
  isemsRevision: 1,
  openMPPTFirmwareVersion: 'ATmega8_A_1',
  timeToShutdown: 711,
  isPowerSaveMode: 0,
  openCircuitVoltage: 18.614,
  mppVoltage: 18.614,
  batteryVoltage: 14.073,
  batteryChargeEstimate: 100,
  batteryHealthEstimate: 100,
  batteryTemperature: 28,
  lowVoltageDisconnectVoltage: 11.67,
  temperatureCorrectedVoltage: 14.086,
  rateBatteryCapacity: 7,
  ratedSolarModuleCapacity: 20,
  latitude: 52.507309,
  longitude: 13.458635,
  status: 0x300,
};

describe('toIsemsMeasurement (the ISEMS data collector shape)', () => {
  it("writes the collector's importer test line as its API does: sorted keys, strings, boolean, hex status, Berlin wall time", () => {
    const m = toIsemsMeasurement('elektra_dach', 1530364575n * S, STORED, 'Europe/Berlin');
    expect(m).to.deep.equal({
      batteryChargeEstimate: 100,
      batteryHealthEstimate: 100,
      batteryTemperature: 28,
      batteryVoltage: 14.073,
      id: measurementId('Elektra-Dach', 1530364575n * S),
      isPowerSaveMode: false,
      isemsRevision: '1',
      latitude: 52.507309,
      longitude: 13.458635,
      lowVoltageDisconnectVoltage: 11.67,
      mppVoltage: 18.614,
      nodeId: 'Elektra-Dach',
      openCircuitVoltage: 18.614,
      openMPPTFirmwareVersion: 'ATmega8_A_1',
      rateBatteryCapacity: 7,
      ratedSolarModuleCapacity: 20,
      status: '0x300',
      temperatureCorrectedVoltage: 14.086,
      timeToShutdown: 711,
      // The collector's test: datetime(2018, 6, 30, 15, 16, 15) for 1530364575 (CEST).
      timestamp: '2018-06-30T15:16:15',
    });
    expect(Object.keys(m)).to.deep.equal([...Object.keys(m)].sort());
  });

  it('a reading without status or values: 0x000 and nulls (the collector test_app base_measurement); the node it is stored under', () => {
    const m = toIsemsMeasurement('node-1', 1700000000n * S, { isemsRevision: '1' }, 'Europe/Berlin');
    expect(m).to.include({
      nodeId: 'node-1',
      isemsRevision: '1',
      status: '0x000',
      isPowerSaveMode: null,
      openMPPTFirmwareVersion: null,
      batteryVoltage: null,
      latitude: null,
    });
  });

  it('isPowerSaveMode is true for 1 only, as the importer reads "1"', () => {
    const mode = (v: number | string | boolean) =>
      toIsemsMeasurement('n', 0n, { isPowerSaveMode: v }, 'UTC').isPowerSaveMode;
    expect([mode(1), mode(0), mode(2), mode('1'), mode('0'), mode(true), mode(false)]).to.deep.equal([
      true,
      false,
      false,
      true,
      false,
      true,
      false,
    ]);
  });

  it('status as "{0:#05x}": at least three hex digits', () => {
    expect([
      statusText(0x300),
      statusText(0),
      statusText(undefined),
      statusText(0x1a),
      statusText(0x1234),
    ]).to.deep.equal(['0x300', '0x000', '0x000', '0x01a', '0x1234']);
  });

  it('timestamps: wall-clock time of the zone without offset, microseconds only when there are any', () => {
    expect(wallClockIso(1530364575n * S, 'Europe/Berlin')).to.equal('2018-06-30T15:16:15');
    expect(wallClockIso(1515000000n * S, 'Europe/Berlin')).to.equal('2018-01-03T18:20:00');
    expect(wallClockIso(1530364575n * S + 250_000_000n, 'UTC')).to.equal('2018-06-30T13:16:15.250000');
    expect(wallClockIso(-1n * S, 'UTC')).to.equal('1969-12-31T23:59:59');
  });

  it('id: a safe integer, the same for the same node and time, different across nodes and times', () => {
    const a = measurementId('Elektra-Dach', 1530364575n * S);
    expect(Number.isSafeInteger(a)).to.equal(true);
    expect(measurementId('Elektra-Dach', 1530364575n * S)).to.equal(a);
    expect(measurementId('Elektra-Dach', 1530364576n * S)).to.equal(a + 1);
    expect(measurementId('Other', 1530364575n * S)).to.not.equal(a);
  });
});
