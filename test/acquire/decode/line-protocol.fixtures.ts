import type { DecoderFixtures } from './decoder-contract.js';

/** `lineProtocolDecoder`: line protocol posted as `text/plain` to a node's path. */
export const lineProtocolFixtures: DecoderFixtures = {
  valid: [
    {
      name: 'one line: tags and fields as values, the ns timestamp as exact RFC 3339',
      payload: 'weather,site=roof temperature=21.5,count=3i,ok=true,note="a \\"b\\"" 1700000000123456789',
      expected: [
        {
          site: 'roof',
          temperature: 21.5,
          count: 3n,
          ok: true,
          note: 'a "b"',
          time: '2023-11-14T22:13:20.123456789Z',
        },
      ],
    },
    {
      name: 'several lines, a comment, a line without a time, a time before 1970',
      payload: '# from Telegraf\nm v=1 5\nm v=2\nm v=3 -1\n',
      expected: [
        { v: 1, time: '1970-01-01T00:00:00.000000005Z' },
        { v: 2 },
        { v: 3, time: '1969-12-31T23:59:59.999999999Z' },
      ],
    },
    {
      name: 'escaped names',
      payload: 'm,t\\ k=v\\,w f\\=x=1 1',
      expected: [{ 't k': 'v,w', 'f=x': 1, time: '1970-01-01T00:00:00.000000001Z' }],
    },
  ],
  malformed: [
    {
      name: 'a line without fields, named by its number',
      payload: 'm v=1\nbroken',
      error: /^line 2: unable to parse 'broken': missing fields$/,
    },
    {
      name: 'an unclosed string',
      payload: 'm s="open',
      error: /^line 1: unable to parse 'm s="open': unbalanced quotes$/,
    },
  ],
  empty: [
    { name: 'no body', payload: '', error: /^request body is empty$/ },
    {
      name: 'comments only',
      payload: '# nothing\n\n',
      error: /^request body holds no line of line protocol$/,
    },
  ],
  wrongTypes: [
    {
      name: 'a field value that is no type of line protocol',
      payload: 'm v=abc 1',
      error: /^line 1: unable to parse 'm v=abc 1': invalid field value 'abc' of 'v'$/,
    },
    {
      name: 'an integer beyond int64',
      payload: 'm v=9223372036854775808i',
      error: /out of range$/,
    },
  ],
};
