import type { DecoderFixtures } from './decoder-contract.js';

/** `kotoriJsonDecoder`: Kotori's JSON data containers. */
export const kotoriJsonFixtures: DecoderFixtures = {
  valid: [
    {
      name: 'an object',
      slot: 'data.json',
      payload: '{"temperature": 21.5}',
      expected: [{ temperature: 21.5 }],
    },
    {
      name: 'an array of objects (bulk), in order',
      slot: 'data.json',
      payload: '[{"a": 1}, {"a": 2}]',
      expected: [{ a: 1 }, { a: 2 }],
    },
    { name: 'legacy message-json', slot: 'message-json', payload: '{"a": 1}', expected: [{ a: 1 }] },
    {
      name: 'a long integer keeps every digit',
      slot: 'data.json',
      payload: '{"timestamp": 1583810982123456789}',
      expected: [{ timestamp: 1583810982123456789n }],
    },
  ],
  malformed: [
    {
      name: 'bad JSON',
      slot: 'data.json',
      payload: '{"a": }',
      error: /^slot 'data\.json': payload is not valid JSON: /,
    },
    {
      name: 'invalid UTF-8',
      slot: 'data.json',
      payload: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]),
      error: /^slot 'data\.json': payload is not valid UTF-8$/,
    },
  ],
  empty: [
    {
      name: 'no payload',
      slot: 'data.json',
      payload: '',
      error: /^slot 'data\.json': payload is not valid JSON/,
    },
    { name: 'an empty array', slot: 'data.json', payload: '[]', error: /payload is an empty JSON array$/ },
  ],
  wrongTypes: [
    {
      name: 'a number',
      slot: 'data.json',
      payload: '42',
      error: /payload is a number, not a JSON object or array/,
    },
    {
      name: 'null',
      slot: 'message-json',
      payload: 'null',
      error: /^slot 'message-json': payload is null, not a JSON object/,
    },
    {
      name: 'an array holding a string',
      slot: 'data.json',
      payload: '[{"a": 1}, "x"]',
      error: /item 1 of the JSON array is a string, not an object$/,
    },
  ],
};

/** `kotoriJsonEventDecoder`: Kotori's JSON events. */
export const kotoriJsonEventFixtures: DecoderFixtures = {
  valid: [
    {
      name: 'an event',
      slot: 'event.json',
      kind: 'event',
      payload: '{"title": "Swarm", "text": "gone"}',
      expected: [{ title: 'Swarm', text: 'gone' }],
    },
    {
      name: 'an array of events',
      slot: 'node/event.json',
      kind: 'event',
      payload: '[{"title": "a"}, {"title": "b"}]',
      expected: [{ title: 'a' }, { title: 'b' }],
    },
  ],
  malformed: [
    {
      name: 'truncated JSON',
      slot: 'event.json',
      payload: '{"title": "x"',
      error: /^slot 'event\.json': payload is not valid JSON/,
    },
  ],
  empty: [{ name: 'no payload', slot: 'event.json', payload: '', error: /payload is not valid JSON/ }],
  wrongTypes: [
    {
      name: 'a string',
      slot: 'event.json',
      payload: '"swarm"',
      error: /payload is a string, not a JSON object/,
    },
    {
      name: 'an array of arrays',
      slot: 'event.json',
      payload: '[[1]]',
      error: /item 0 of the JSON array is an array/,
    },
  ],
};
