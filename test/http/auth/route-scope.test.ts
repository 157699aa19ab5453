import { expect } from 'chai';
import { QueryError } from '../../../lib/core/errors.js';
import { routeNeed } from '../../../lib/http/auth/route-scope.js';

describe('routeNeed', () => {
  const table: Array<[string, string, unknown]> = [
    ['GET', '/ping', { kind: 'public' }],
    ['GET', '/health', { kind: 'health' }],
    ['GET', '/metrics', { kind: 'realm', realm: '*', scope: 'admin' }],
    ['POST', '/write', { kind: 'database', scope: 'write' }],
    ['POST', '/api/v2/write', { kind: 'database', scope: 'write' }],
    ['POST', '/api/hiveeyes/a/b/c/data', { kind: 'realm', realm: 'hiveeyes', scope: 'write' }],
    ['PUT', '/api/hiveeyes/a/b/c/data', { kind: 'realm', realm: 'hiveeyes', scope: 'write' }],
    ['GET', '/api/hiveeyes/a/b/c/data.csv', { kind: 'realm', realm: 'hiveeyes', scope: 'read' }],
    ['HEAD', '/api/hive%65yes/a/latest', { kind: 'realm', realm: 'hiveeyes', scope: 'read' }],
    ['GET', '/api/*/x', { kind: 'realm', realm: '*', scope: 'admin' }],
    ['GET', '/dead-letters', { kind: 'realm', realm: '*', scope: 'admin' }],
    ['GET', '/', { kind: 'public' }],
    ['GET', '/node', { kind: 'public' }],
    ['GET', '/assets/node.js', { kind: 'public' }],
    ['GET', '/view/overview.json', { kind: 'routed', scope: 'read' }],
    ['GET', '/view/live', { kind: 'routed', scope: 'read' }],
    ['GET', '/measurements/latest', { kind: 'routed', scope: 'read' }],
    ['POST', '/poll/isems', { kind: 'public' }],
    ['GET', '/nodes', { kind: 'realm', realm: '*', scope: 'admin' }],
  ];
  for (const [method, path, expected] of table) {
    it(`${method} ${path}`, () => {
      expect(routeNeed(method, path)).to.deep.equal(expected);
    });
  }
  it('refuses a path that is not valid percent-encoding', () => {
    expect(() => routeNeed('GET', '/api/%zz/x')).to.throw(QueryError);
  });
});
