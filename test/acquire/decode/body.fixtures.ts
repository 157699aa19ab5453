import type { DecoderFixtures } from './decoder-contract.js';

/** `jsonBodyDecoder`: `application/json` request bodies. */
export const jsonBodyFixtures: DecoderFixtures = {
  valid: [
    { name: 'an object', payload: '{"temperature": 21.5}', expected: [{ temperature: 21.5 }] },
    { name: 'an array (bulk), in order', payload: '[{"v": 1}, {"v": 2}]', expected: [{ v: 1 }, { v: 2 }] },
    { name: "Ecowitt's PASSKEY is dropped", payload: '{"PASSKEY": "x", "v": 1}', expected: [{ v: 1 }] },
  ],
  malformed: [
    {
      name: 'bad JSON',
      payload: '{"v": 1,\n  "w": }',
      error: /^request body is not valid JSON at line 2, column 8: /,
    },
    {
      name: 'invalid UTF-8',
      payload: Buffer.from([0x7b, 0xff, 0x7d]),
      error: /^request body is not valid UTF-8$/,
    },
  ],
  empty: [
    { name: 'no body', payload: '', error: /^request body is empty$/ },
    { name: 'white space', payload: ' \n', error: /^request body is empty$/ },
    { name: 'an empty array', payload: '[]', error: /^request body is an empty JSON array$/ },
  ],
  wrongTypes: [
    {
      name: 'a number',
      payload: '42',
      error: /^request body is a number, not a JSON object or an array of objects$/,
    },
    {
      name: 'an array holding null',
      payload: '[{"v": 1}, null]',
      error: /^item 2 of the JSON array is null, not an object$/,
    },
  ],
};

/** `formDecoder`: `application/x-www-form-urlencoded` request bodies. */
export const formFixtures: DecoderFixtures = {
  valid: [
    {
      name: 'name=value pairs, first value of a name',
      payload: 'a=1&b=x+y&a=2&c=',
      expected: [{ a: '1', b: 'x y' }],
    },
    {
      name: "Ecowitt's PASSKEY is dropped",
      payload: 'PASSKEY=secret&tempf=71.2',
      expected: [{ tempf: '71.2' }],
    },
  ],
  malformed: [
    {
      name: 'invalid UTF-8',
      payload: Buffer.from([0x61, 0x3d, 0xff]),
      error: /^request body is not valid UTF-8$/,
    },
  ],
  empty: [
    { name: 'no body', payload: '', error: /^request body is empty$/ },
    {
      name: 'only empty values',
      payload: 'a=&b=',
      error: /^form body holds no name=value pair with a value$/,
    },
  ],
  wrongTypes: [
    {
      name: 'only the PASSKEY',
      payload: 'PASSKEY=secret',
      error: /^form body holds no name=value pair with a value$/,
    },
  ],
};

/** `ndjsonDecoder`: one JSON object per line. */
export const ndjsonFixtures: DecoderFixtures = {
  valid: [
    {
      name: 'objects, blank lines skipped',
      payload: '{"v":1}\n\n {"v":2} \n',
      expected: [{ v: 1 }, { v: 2 }],
    },
    { name: 'CRLF line breaks', payload: '{"v":1}\r\n{"v":2}', expected: [{ v: 1 }, { v: 2 }] },
  ],
  malformed: [
    { name: 'a bad line', payload: '{"v":1}\n{"v":', error: /^line 2 is not valid JSON at column 6: / },
    {
      name: 'invalid UTF-8',
      payload: Buffer.from('{"v":1}\n{"v":\xff}', 'latin1'),
      error: /^line \d+ of the request body is not valid UTF-8$/,
    },
  ],
  empty: [
    { name: 'no body', payload: '', error: /^request body is empty$/ },
    { name: 'blank lines only', payload: '\n\n', error: /^request body is empty$/ },
  ],
  wrongTypes: [
    { name: 'an array line', payload: '{"v":1}\n[1]', error: /^line 2 is an array, not a JSON object$/ },
    { name: 'a number line', payload: '7', error: /^line 1 is a number, not a JSON object$/ },
  ],
};

/** `csvDecoder`: CSV rows against the header in the body or the channel's remembered one. */
export const csvFixtures: DecoderFixtures = {
  valid: [
    {
      name: 'a header line, then rows; an empty cell is no value',
      payload: '## time,temperature,humidity\n2016-07-13T09:38:46Z,21.5,83\n2016-07-13T09:39:46Z,,84\n',
      expected: [
        { time: '2016-07-13T09:38:46Z', temperature: '21.5', humidity: '83' },
        { time: '2016-07-13T09:39:46Z', humidity: '84' },
      ],
    },
    {
      name: 'rows against the remembered header',
      header: { fields: ['time', 'weight'] },
      payload: '2016/07/13 09:38:46;42.1',
      expected: [{ time: '2016-07-13 09:38:46', weight: '42.1' }],
    },
  ],
  malformed: [
    {
      name: 'a row wider than the header',
      header: { fields: ['a'] },
      payload: '1,2',
      error: /^line 1: value '2' in column 2, but the header names 1 fields$/,
    },
    {
      name: 'a header naming a field twice',
      payload: '## a,a',
      error: /^line 1: CSV header: field 'a' is named twice$/,
    },
    {
      name: 'invalid UTF-8',
      payload: Buffer.from('## a\n\xff', 'latin1'),
      error: /^line \d+ of the request body is not valid UTF-8$/,
    },
  ],
  empty: [
    { name: 'no body', payload: '', error: /^request body is empty$/ },
    { name: 'blank lines only', payload: '\n \n', error: /^request body is empty$/ },
  ],
  wrongTypes: [
    {
      name: 'rows without any header',
      payload: '1,2,3',
      error: /^line 1: no CSV header known for this channel; send the field names first/,
    },
  ],
};
