import type { DecoderFixtures } from './decoder-contract.js';

/** `homieDecoder`: a Homie node's properties as one JSON object (Kotori's `data/__json__`, `event/__json__`). */
export const homieFixtures: DecoderFixtures = {
  valid: [
    {
      // Kotori's test_homie.py publishes this to mqttkit-1/itest/foo/bar/data/__json__.
      name: "Kotori's Homie reading",
      slot: 'data/__json__',
      payload: '{"temperature": 42.84, "humidity": 83.1}',
      expected: [{ temperature: 42.84, humidity: 83.1 }],
    },
    {
      name: 'an array of readings, in order',
      slot: 'node/data/__json__',
      payload: '[{"temperature": 21.5}, {"temperature": 21.7}]',
      expected: [{ temperature: 21.5 }, { temperature: 21.7 }],
    },
    {
      name: 'an event on event/__json__',
      slot: 'event/__json__',
      kind: 'event',
      payload: '{"title": "Door", "text": "opened"}',
      expected: [{ title: 'Door', text: 'opened' }],
    },
  ],
  malformed: [
    {
      name: 'truncated JSON',
      slot: 'data/__json__',
      payload: '{"temperature": 42.84',
      error: /^slot 'data\/__json__': Homie payload is not valid JSON/,
    },
    {
      name: 'invalid UTF-8',
      slot: 'data/__json__',
      payload: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]),
      error: /^slot 'data\/__json__': payload is not valid UTF-8$/,
    },
  ],
  empty: [
    {
      name: 'no payload',
      slot: 'data/__json__',
      payload: '',
      error: /^slot 'data\/__json__': Homie payload is not valid JSON/,
    },
    {
      name: 'an empty array',
      slot: 'event/__json__',
      payload: '[]',
      error: /^slot 'event\/__json__': Homie payload is an empty JSON array$/,
    },
  ],
  wrongTypes: [
    {
      // Homie's own property topics carry plain values; `__json__` carries an object.
      name: 'a plain value',
      slot: 'data/__json__',
      payload: '42.84',
      error: /^slot 'data\/__json__': Homie payload is a number, not a JSON object or array of objects$/,
    },
    {
      name: 'an array holding a string',
      slot: 'data/__json__',
      payload: '[{"a": 1}, "b"]',
      error: /item 1 of the JSON array is a string, not an object$/,
    },
  ],
};
