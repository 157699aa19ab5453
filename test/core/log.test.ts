import { expect } from 'chai';
import { createLog, namespaceMatches } from '../../lib/core/log.js';

describe('core/log: debug namespaces', () => {
  const cases: Array<[string, string, boolean]> = [
    ['daqd:http', 'daqd:http', true],
    ['daqd:http', 'daqd:httpd', false],
    ['daqd:realm', 'daqd:realm:hiveeyes', true],
    ['daqd:realm', 'daqd:realm:hiveeyes:mqtt', true],
    ['daqd:realm:hiveeyes', 'daqd:realm:hiveeyes:mqtt', true],
    ['daqd:realm:hiveeyes', 'daqd:realm:hiveeyes-2', false],
    ['daqd:realm:*:mqtt', 'daqd:realm:mqttkit-1:mqtt', true],
    ['daqd:realm:*:mqtt', 'daqd:realm:mqttkit-1', false],
    ['daqd:realm:a.b', 'daqd:realm:axb', false],
    ['daqd:influxdb', 'daqd', false],
  ];
  for (const [pattern, namespace, expected] of cases) {
    it(`'${pattern}' ${expected ? 'covers' : 'does not cover'} '${namespace}'`, () => {
      expect(namespaceMatches(namespace, [pattern])).to.equal(expected);
    });
  }

  it('logs at debug in the given namespaces only, whatever the level', async () => {
    const log = createLog('info', ['daqd:realm:*:mqtt', 'daqd:http']);
    expect(log.isDebug()).to.equal(false);
    expect(log.child('daqd:realm:r:mqtt').isDebug()).to.equal(true);
    expect(log.child('daqd:realm:r').isDebug()).to.equal(false);
    expect(log.child('daqd:http').isDebug()).to.equal(true);
    log.setLevel('debug');
    expect(log.child('daqd:realm:r').isDebug()).to.equal(true);
    await log.close();
  });
});
