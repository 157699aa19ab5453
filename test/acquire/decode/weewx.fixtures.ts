import type { DecoderFixtures } from './decoder-contract.js';

/**
 * A loop packet of a Vantage Pro 2, as WeeWX's MQTT uploader publishes it (part of the one Kotori's
 * test_weewx.py publishes): every value text, `dateTime` epoch seconds.
 */
export const WEEWX_PACKET = {
  windSpeed10_kph: '5.78725803977',
  cloudbase_meter: '773.082217509',
  consBatteryVoltage_volt: '4.72',
  usUnits: '16.0',
  dateTime: '1492467300.0',
  outTemp_C: '3.55555555556',
  windDir: '283.55437192',
};

/** `weewxDecoder`: WeeWX loop packets on `…/loop`. */
export const weewxFixtures: DecoderFixtures = {
  valid: [
    {
      name: 'a Vantage Pro 2 loop packet, values as text',
      slot: 'loop',
      payload: JSON.stringify(WEEWX_PACKET),
      expected: [WEEWX_PACKET],
    },
    {
      name: 'numbers, and several packets in order',
      slot: 'station/loop',
      payload: '[{"dateTime": 1492467300, "outTemp": 38.4}, {"dateTime": 1492467302, "outTemp": 38.5}]',
      expected: [
        { dateTime: 1492467300, outTemp: 38.4 },
        { dateTime: 1492467302, outTemp: 38.5 },
      ],
    },
    {
      name: 'a packet without dateTime (stored at the receive time)',
      slot: 'loop',
      payload: '{"outTemp_C": "3.5"}',
      expected: [{ outTemp_C: '3.5' }],
    },
  ],
  malformed: [
    {
      name: 'truncated JSON',
      slot: 'loop',
      payload: '{"outTemp_C": "3.5"',
      error: /^slot 'loop': WeeWX loop packet is not valid JSON/,
    },
    {
      name: 'invalid UTF-8',
      slot: 'loop',
      payload: Buffer.from([0x7b, 0xff, 0x7d]),
      error: /^slot 'loop': payload is not valid UTF-8$/,
    },
  ],
  empty: [
    {
      name: 'no payload',
      slot: 'loop',
      payload: '',
      error: /^slot 'loop': WeeWX loop packet is not valid JSON/,
    },
    {
      name: 'an empty array',
      slot: 'loop',
      payload: '[]',
      error: /^slot 'loop': WeeWX loop packet is an empty JSON array$/,
    },
  ],
  wrongTypes: [
    {
      name: 'dateTime is not epoch seconds',
      slot: 'loop',
      payload: '{"dateTime": "yesterday", "outTemp_C": "3.5"}',
      error: /^slot 'loop': WeeWX loop packet: dateTime is 'yesterday', not epoch seconds$/,
    },
    {
      name: 'dateTime is an object, in the second packet',
      slot: 'loop',
      payload: '[{"outTemp_C": "3.5"}, {"dateTime": {"s": 1}}]',
      error: /WeeWX loop packet \(packet 1\): dateTime is an object, not epoch seconds$/,
    },
    {
      name: 'dateTime a boolean, on a template topic without a slot (decoder = weewx)',
      slot: '',
      match: { kind: 'data' },
      payload: '{"dateTime": true}',
      error: /^WeeWX loop packet: dateTime is a boolean, not epoch seconds$/,
    },
    {
      name: 'a string payload',
      slot: 'loop',
      payload: '"3.5"',
      error: /^slot 'loop': WeeWX loop packet is a string, not a JSON object or array of objects$/,
    },
  ],
};
