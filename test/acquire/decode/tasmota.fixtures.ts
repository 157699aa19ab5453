import type { DecoderFixtures } from './decoder-contract.js';

/**
 * Tasmota payloads as Tasmota and Kotori document them (Kotori's `doc/source/integration/tasmota.rst`
 * and `test/test_tasmota.py`, Tasmota console logs of `tele/<topic>/SENSOR` and `…/STATE`), with the
 * readings Kotori's Tasmota decoder makes of them.
 */

/** Sonoff SC (Kotori's documented example). */
export const SONOFF_SC_SENSOR = {
  Time: '2019-06-02T22:13:07',
  SonoffSC: { Temperature: 25, Humidity: 15, Light: 20, Noise: 10, AirQuality: 90 },
  TempUnit: 'C',
};

/** Wemos with three DS18B20 probes of old firmware (`DS18x20` with `Type`/`Address`) and a DHT22. */
export const WEMOS_MULTI_SENSOR = {
  Time: '2017-10-05T22:39:45',
  DS18x20: {
    DS1: { Type: 'DS18B20', Address: '28FF4CBFA41604C4', Temperature: 25.37 },
    DS2: { Type: 'DS18B20', Address: '28FF1E7FA116035D', Temperature: 30.44 },
    DS3: { Type: 'DS18B20', Address: '28FF1597A41604CE', Temperature: 25.81 },
  },
  DHT22: { Temperature: 33.2, Humidity: 30 },
  TempUnit: 'C',
};

/** Kotori's documented STATE example. */
export const STATE_MESSAGE = {
  Time: '2019-06-02T22:13:07',
  Uptime: '1T18:10:35',
  Vcc: 3.182,
  SleepMode: 'Dynamic',
  Sleep: 50,
  LoadAvg: 19,
  Wifi: {
    AP: 1,
    SSId: '{redacted}',
    BSSId: 'A0:F3:C1:{redacted}',
    Channel: 1,
    RSSI: 100,
    LinkCount: 1,
    Downtime: '0T00:00:07',
  },
};

const json = (value: unknown) => JSON.stringify(value);

/** `tasmotaDecoder`: Tasmota's `tele/SENSOR` and `tele/STATE`. */
export const tasmotaFixtures: DecoderFixtures = {
  valid: [
    {
      name: 'SENSOR: Sonoff SC, its unit dropped',
      slot: 'tele/SENSOR',
      payload: json(SONOFF_SC_SENSOR),
      expected: [
        {
          Time: '2019-06-02T22:13:07',
          'SonoffSC.Temperature': 25,
          'SonoffSC.Humidity': 15,
          'SonoffSC.Light': 20,
          'SonoffSC.Noise': 10,
          'SonoffSC.AirQuality': 90,
        },
      ],
    },
    {
      name: 'SENSOR: DS18B20',
      slot: 'tele/SENSOR',
      payload: '{"Time": "2017-02-16T10:13:52", "DS18B20": {"Temperature": 20.6}}',
      expected: [{ Time: '2017-02-16T10:13:52', 'DS18B20.Temperature': 20.6 }],
    },
    {
      name: 'SENSOR: several sensors, DS18x20 probes without Type and Address',
      slot: 'tele/SENSOR',
      payload: json(WEMOS_MULTI_SENSOR),
      expected: [
        {
          Time: '2017-10-05T22:39:45',
          'DS18x20.DS1.Temperature': 25.37,
          'DS18x20.DS2.Temperature': 30.44,
          'DS18x20.DS3.Temperature': 25.81,
          'DHT22.Temperature': 33.2,
          'DHT22.Humidity': 30,
        },
      ],
    },
    {
      name: 'SENSOR: energy monitor and AM2301; strings inside a sensor kept, switch states dropped',
      slot: 'tele/SENSOR',
      payload:
        '{"Time":"2021-06-13T06:59:52","Switch1":"ON","ENERGY":{"TotalStartTime":"2021-01-01T10:00:00",' +
        '"Total":1.234,"Yesterday":0.5,"Today":0.012,"Power":23,"Voltage":230,"Current":0.112},' +
        '"AM2301":{"Temperature":22.6,"Humidity":32.4,"DewPoint":5.3},"TempUnit":"C"}',
      expected: [
        {
          Time: '2021-06-13T06:59:52',
          'ENERGY.TotalStartTime': '2021-01-01T10:00:00',
          'ENERGY.Total': 1.234,
          'ENERGY.Yesterday': 0.5,
          'ENERGY.Today': 0.012,
          'ENERGY.Power': 23,
          'ENERGY.Voltage': 230,
          'ENERGY.Current': 0.112,
          'AM2301.Temperature': 22.6,
          'AM2301.Humidity': 32.4,
          'AM2301.DewPoint': 5.3,
        },
      ],
    },
    {
      name: 'SENSOR: a nested object without Type is dropped, as Kotori does',
      slot: 'tele/SENSOR',
      payload: '{"Time":"2021-06-13T06:59:52","ANALOG":{"A0":512,"CTEnergy":{"Power":2068}}}',
      expected: [{ Time: '2021-06-13T06:59:52', 'ANALOG.A0': 512 }],
    },
    {
      name: 'SENSOR: no Time (the receive time is taken later), on a longer slot',
      slot: 'sub/tele/SENSOR',
      payload: '{"BME280":{"Temperature":21.5,"Pressure":1013.2}}',
      expected: [{ 'BME280.Temperature': 21.5, 'BME280.Pressure': 1013.2 }],
    },
    {
      name: 'SENSOR: an array of a multi-channel meter is passed on (the sanitize stage flattens it by index)',
      slot: 'tele/SENSOR',
      payload: '{"Time":"2021-06-13T06:59:52","ENERGY":{"Power":[10,20],"Total":3.5}}',
      expected: [{ Time: '2021-06-13T06:59:52', 'ENERGY.Power': [10, 20], 'ENERGY.Total': 3.5 }],
    },
    {
      name: 'STATE: Kotori keeps Vcc, Sleep, LoadAvg and three Wifi values',
      slot: 'tele/STATE',
      payload: json(STATE_MESSAGE),
      expected: [
        {
          Time: '2019-06-02T22:13:07',
          'Device.Vcc': 3.182,
          'Device.Sleep': 50,
          'Device.LoadAvg': 19,
          'Device.Wifi.Channel': 1,
          'Device.Wifi.RSSI': 100,
          'Device.Wifi.LinkCount': 1,
        },
      ],
    },
    {
      name: 'STATE: POWER "ON" and "OFF" are dropped, as Kotori does; missing values left out',
      slot: 'tele/STATE',
      payload:
        '{"Time":"2019-05-23T06:37:03","Uptime":"6T16:56:34","UptimeSec":580594,"Heap":24,' +
        '"SleepMode":"Dynamic","Sleep":0,"LoadAvg":999,"MqttCount":1,"POWER1":"ON","POWER2":"OFF",' +
        '"Wifi":{"AP":1,"SSId":"net","BSSId":"82:2A:A8:BB:07:51","Channel":6,"RSSI":44,"Signal":-78,' +
        '"LinkCount":1,"Downtime":"0T00:00:06"}}',
      expected: [
        {
          Time: '2019-05-23T06:37:03',
          'Device.Sleep': 0,
          'Device.LoadAvg': 999,
          'Device.Wifi.Channel': 6,
          'Device.Wifi.RSSI': 44,
          'Device.Wifi.LinkCount': 1,
        },
      ],
    },
    {
      name: 'STATE: older firmware, Wifi without Channel and LinkCount',
      slot: 'tele/STATE',
      payload: '{"Time":"2018-03-02T18:25:02","Vcc":3.151,"POWER":"OFF","Wifi":{"AP":1,"RSSI":66}}',
      expected: [{ Time: '2018-03-02T18:25:02', 'Device.Vcc': 3.151, 'Device.Wifi.RSSI': 66 }],
    },
  ],
  malformed: [
    {
      name: 'SENSOR: bad JSON',
      slot: 'tele/SENSOR',
      payload: '{"Time":"2019-06-02T22:13:07","DS18B20":{"Temperature":}}',
      error: /^slot 'tele\/SENSOR': payload is not valid JSON: /,
    },
    {
      name: 'STATE: truncated JSON',
      slot: 'tele/STATE',
      payload: '{"Time":"2019-06-02T22:13:07","Vcc":3.1',
      error: /^slot 'tele\/STATE': payload is not valid JSON: /,
    },
    {
      name: 'SENSOR: invalid UTF-8',
      slot: 'tele/SENSOR',
      payload: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]),
      error: /^slot 'tele\/SENSOR': payload is not valid UTF-8$/,
    },
  ],
  empty: [
    {
      name: 'SENSOR: no payload',
      slot: 'tele/SENSOR',
      payload: '',
      error: /^slot 'tele\/SENSOR': payload is not valid JSON/,
    },
    {
      name: 'SENSOR: an empty object',
      slot: 'tele/SENSOR',
      payload: '{}',
      error: /^slot 'tele\/SENSOR': payload holds no sensor values/,
    },
    {
      name: 'SENSOR: only a time, a unit and a switch state',
      slot: 'tele/SENSOR',
      payload: '{"Time":"2024-02-24T22:20:38","Switch1":"ON","TempUnit":"C"}',
      error: /^slot 'tele\/SENSOR': payload holds no sensor values/,
    },
    {
      name: 'STATE: none of the values Kotori stores',
      slot: 'tele/STATE',
      payload: '{"Time":"2019-06-02T22:13:07","POWER":"ON","Vcc":null}',
      error:
        /^slot 'tele\/STATE': payload holds none of Vcc, Sleep, LoadAvg, Wifi\.Channel, Wifi\.RSSI, Wifi\.LinkCount$/,
    },
  ],
  wrongTypes: [
    {
      name: 'SENSOR: an array',
      slot: 'tele/SENSOR',
      payload: '[{"DS18B20":{"Temperature":20.6}}]',
      error: /^slot 'tele\/SENSOR': payload is an array, not a JSON object$/,
    },
    {
      name: 'SENSOR: a number',
      slot: 'tele/SENSOR',
      payload: '21.5',
      error: /^slot 'tele\/SENSOR': payload is a number, not a JSON object$/,
    },
    {
      name: 'STATE: null',
      slot: 'tele/STATE',
      payload: 'null',
      error: /payload is null, not a JSON object$/,
    },
    {
      name: 'STATE: Wifi is a string',
      slot: 'tele/STATE',
      payload: '{"Vcc":3.1,"Wifi":"up"}',
      error: /^slot 'tele\/STATE': 'Wifi' is a string, not an object$/,
    },
    {
      name: 'STATE: Wifi.RSSI is an array',
      slot: 'tele/STATE',
      payload: '{"Wifi":{"RSSI":[44,46]}}',
      error: /^slot 'tele\/STATE': 'Wifi\.RSSI' is an array, not a value$/,
    },
    {
      name: 'STATE: Vcc is an object',
      slot: 'tele/STATE',
      payload: '{"Vcc":{"value":3.1}}',
      error: /^slot 'tele\/STATE': 'Vcc' is an object, not a value$/,
    },
  ],
};
