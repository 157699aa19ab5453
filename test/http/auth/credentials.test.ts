import { expect } from 'chai';
import { readCredentials } from '../../../lib/http/auth/credentials.js';

const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

describe('readCredentials', () => {
  const table: Array<[string, Record<string, string>, Record<string, string> | undefined, unknown]> = [
    ['nothing', {}, undefined, { kind: 'none' }],
    [
      'Basic',
      { authorization: basic('alice:pa:ss') },
      undefined,
      { kind: 'secret', scheme: 'basic', user: 'alice', secret: 'pa:ss' },
    ],
    [
      'Basic without colon',
      { authorization: basic('alice') },
      undefined,
      { kind: 'malformed', scheme: 'basic' },
    ],
    [
      'Bearer name.secret',
      { authorization: 'Bearer node.17.AbC-_x' },
      undefined,
      { kind: 'secret', scheme: 'bearer', user: 'node.17', secret: 'AbC-_x' },
    ],
    [
      'Bearer without name',
      { authorization: 'Bearer AbCdef' },
      undefined,
      { kind: 'malformed', scheme: 'bearer' },
    ],
    [
      'Token user:password (InfluxDB 1.8)',
      { authorization: 'Token bob:pw' },
      undefined,
      { kind: 'secret', scheme: 'token', user: 'bob', secret: 'pw' },
    ],
    [
      'Token name.secret (InfluxDB 2.x)',
      { authorization: 'Token bob.pw' },
      undefined,
      { kind: 'secret', scheme: 'token', user: 'bob', secret: 'pw' },
    ],
    ['unknown scheme', { authorization: 'Digest x' }, undefined, { kind: 'malformed', scheme: 'digest' }],
    [
      'u/p (InfluxDB 1.x)',
      {},
      { u: 'bob', p: 'pw' },
      { kind: 'secret', scheme: 'query', user: 'bob', secret: 'pw' },
    ],
    ['u without p', {}, { u: 'bob' }, { kind: 'malformed', scheme: 'u/p' }],
    ['u/p ignored where not taken', {}, undefined, { kind: 'none' }],
  ];
  for (const [name, headers, query, expected] of table) {
    it(name, () => {
      expect(readCredentials(headers, query)).to.deep.equal(expected);
    });
  }
});
