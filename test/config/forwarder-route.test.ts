import { expect } from 'chai';
import { compileForwarder } from '../../lib/config/forwarder-route.js';
import type { Forwarder } from '../../lib/config/settings.js';
import { ConfigError } from '../../lib/core/errors.js';

function forwarder(source: string, target: string): Forwarder {
  return {
    section: 'hiveeyes.http-acquisition',
    file: '/etc/daqd/apps/hiveeyes.ini',
    line: 12,
    source,
    target,
  };
}

describe('compileForwarder', () => {
  it("compiles Kotori's ingest forwarder: methods, path pattern, topic template", () => {
    const route = compileForwarder(
      forwarder(
        'http:/api/hiveeyes/{address:.*}/{slot:(data|event)} [POST]',
        'mqtt:/hiveeyes/{address}/{slot}.json',
      ),
    );
    expect(route.methods).to.deep.equal(['POST']);
    expect(route.targetScheme).to.equal('mqtt');
    const values = route.match('/api/hiveeyes/testdrive/area-42/node-1/data');
    expect(values).to.deep.equal({ address: 'testdrive/area-42/node-1', slot: 'data' });
    expect(route.target(values!)).to.equal('hiveeyes/testdrive/area-42/node-1/data.json');
    expect(route.match('/api/hiveeyes/testdrive/area-42/node-1/event')?.['slot']).to.equal('event');
  });

  it('matches the whole path only', () => {
    const route = compileForwarder(
      forwarder('http:/api/hiveeyes/{address:.*}/{slot:(data|event)} [POST]', 'mqtt:/x'),
    );
    expect(route.match('/api/hiveeyes/a/b/c/data.json')).to.equal(undefined);
    expect(route.match('/api/hiveeyes/a/b/c/firmware')).to.equal(undefined);
    expect(route.match('/prefix/api/hiveeyes/a/data')).to.equal(undefined);
    expect(route.match('/api/other/a/data')).to.equal(undefined);
  });

  it('reads {name} as one segment, literal dots and other regex characters literally', () => {
    const route = compileForwarder(
      forwarder('http:/api/mqttkit-1.x/{node}/{slot:(data|event)} [POST]', 'mqtt:/m/{node}/{slot}.json'),
    );
    expect(route.match('/api/mqttkit-1.x/n1/data')).to.deep.equal({ node: 'n1', slot: 'data' });
    expect(route.match('/api/mqttkit-1.x/n1/n2/data')).to.equal(undefined);
    expect(route.match('/api/mqttkit-1Xx/n1/data')).to.equal(undefined);
  });

  it('takes regexes with braces of their own and Python named groups', () => {
    const route = compileForwarder(
      forwarder('http:/api/r/{year:\\d{4}}/{rest:(?P<inner>[a-z]+)} [POST, PUT]', 'mqtt:/r/{year}/{rest}'),
    );
    expect(route.methods).to.deep.equal(['POST', 'PUT']);
    expect(route.match('/api/r/2020/abc')).to.deep.equal({ year: '2020', rest: 'abc' });
    expect(route.match('/api/r/20201/abc')).to.equal(undefined);
  });

  it('reads http://host:port/… sources, export forwarders and sources without predicates', () => {
    const route = compileForwarder(
      forwarder(
        'http://localhost:24642/api/{realm:hiveeyes}/{network:.*}/{gateway:.*}/{node:.*}/{slot:(data|event)}.{suffix} [GET]',
        'influxdb:/{database}?measurement={measurement}',
      ),
    );
    expect(route.methods).to.deep.equal(['GET']);
    expect(route.targetScheme).to.equal('influxdb');
    expect(route.match('/api/hiveeyes/a/b/c/data.csv')).to.include({
      realm: 'hiveeyes',
      suffix: 'csv',
      slot: 'data',
    });
    expect(compileForwarder(forwarder('http:/api/x/{a}', 'mqtt:/x/{a}')).methods).to.deep.equal([]);
  });

  it('keeps literal braces of the template ({{ and }})', () => {
    const route = compileForwarder(forwarder('http:/api/x/{a} [POST]', 'mqtt:/x/{{literal}}/{a}'));
    expect(route.target({ a: 'v' })).to.equal('x/{literal}/v');
  });

  it('refuses broken forwarders with a ConfigError naming file, line and key', () => {
    const cases: [string, string, RegExp][] = [
      ['mqtt:/api/x [POST]', 'mqtt:/x', /is not an http: address/],
      ['http:/api/{a [POST]', 'mqtt:/x', /unclosed '\{'/],
      ['http:/api/{a}/{a} [POST]', 'mqtt:/x', /appears twice/],
      ['http:/api/{1a} [POST]', 'mqtt:/x', /not a placeholder name/],
      ['http:/api/{a:(} [POST]', 'mqtt:/x', /Invalid regular expression|Unterminated group/],
      ['http:/api/{a} [POST]', 'mqtt:/x/{b}', /'\{b\}' is not a placeholder of the source/],
      ['http:/api/{a} [POST]', '/no-scheme', /is not an address/],
    ];
    for (const [source, target, message] of cases) {
      let thrown: unknown;
      try {
        compileForwarder(forwarder(source, target));
      } catch (err) {
        thrown = err;
      }
      expect(thrown, source).to.be.instanceOf(ConfigError);
      const problem = thrown as ConfigError;
      expect(problem.message, source).to.match(message);
      expect(problem.format()).to.match(
        /^\/etc\/daqd\/apps\/hiveeyes\.ini:12: hiveeyes\.http-acquisition\.(source|target): /,
      );
    }
  });
});
