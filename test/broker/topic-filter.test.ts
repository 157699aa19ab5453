import { expect } from 'chai';
import { topicMatchesFilter } from '../../lib/broker/topic-filter.js';

type Case = [filter: string, topic: string, matches: boolean];

const cases: Record<string, Case[]> = {
  // MQTT 3.1.1, 4.7.1.2 (multi-level wildcard) examples.
  'multi-level wildcard `#` (4.7.1.2)': [
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/tennis/player1/#', 'sport/tennis/player2', false],
    ['sport/tennis/player1/#', 'sport/tennis', false],
    ['sport/tennis/player1/#', 'sport/tennis/player10', false],
    ['sport/#', 'sport', true],
    ['sport/#', 'sport/', true],
    ['sport/#', 'sport/tennis/player1', true],
    ['sport/#', 'sports', false],
    ['sport/#', 'spor', false],
    ['#', 'sport', true],
    ['#', 'sport/tennis/player1', true],
    ['#', '/finance', true],
    ['#', '/', true],
  ],
  // MQTT 3.1.1, 4.7.1.3 (single-level wildcard) examples.
  'single-level wildcard `+` (4.7.1.3)': [
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player2', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/tennis/+', 'sport/tennis', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+', 'sport', true],
    ['+', '/finance', false],
    ['+', 'sport/tennis', false],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['/+', 'finance', false],
    ['+/tennis/#', 'sport/tennis/player1', true],
    ['+/tennis/#', 'sport/tennis', true],
    ['+/tennis/#', 'sport/golf/player1', false],
    ['sport/+/player1', 'sport/tennis/player1', true],
    ['sport/+/player1', 'sport/tennis/player2', false],
    ['+/#', 'sport', true],
    ['+/#', 'sport/tennis/player1', true],
  ],
  'empty levels are levels': [
    ['a//b', 'a//b', true],
    ['a/+/b', 'a//b', true],
    ['a/b', 'a//b', false],
    ['a//b', 'a/b', false],
    ['a/+', 'a/', true],
    ['a/+/+', 'a//', true],
    ['a/#', 'a//b', true],
    ['/', '/', true],
    ['+/+', '/', true],
    ['+', '/', false],
    ['//', '/', false],
  ],
  'literal levels compare exactly': [
    ['sport/tennis', 'sport/tennis', true],
    ['sport/tennis', 'sport/tennis/', false],
    ['sport/tennis', '/sport/tennis', false],
    ['sport/tennis', 'Sport/Tennis', false],
    ['ACCOUNTS', 'Accounts', false],
    ['Accounts payable', 'Accounts payable', true],
    ['a/b/c', 'a/b', false],
    ['a/b', 'a/b/c', false],
  ],
  // MQTT 3.1.1, 4.7.2: a filter starting with a wildcard does not match topics starting with `$`.
  '`$` topics (4.7.2)': [
    ['#', '$SYS/x', false],
    ['#', '$SYS', false],
    ['+', '$SYS', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['+/#', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
    ['$SYS/#', '$SYS', true],
    ['$SYS/#', '$SYS/broker/clients/connected', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    ['$SYS/+', '$SYS/monitor/Clients', false],
    ['$SYS/x', '$SYS/x', true],
    // `$` only matters as the first character of the topic.
    ['#', 'a/$SYS', true],
    ['a/+', 'a/$x', true],
  ],
  'realm filters': [
    ['hiverize/#', 'hiverize', true],
    ['hiverize/#', 'hiverize/testdrive/area-42/node-1/data.json', true],
    ['hiverize/#', 'hiverize/testdrive/area-42/node-1/error.json', true],
    ['hiverize/#', 'hiverize/', true],
    ['hiverize/#', 'hiverize2/testdrive', false],
    ['hiverize/#', 'hiveriz', false],
    ['hiverize/#', 'Hiverize/testdrive', false],
    ['hiverize/#', 'mqttkit-1/testdrive/area-42/node-1/data.json', false],
    ['hiverize/#', '/hiverize/testdrive', false],
    ['mqttkit-1/+/+/+/data.json', 'mqttkit-1/testdrive/area-42/node-1/data.json', true],
    ['mqttkit-1/+/+/+/data.json', 'mqttkit-1/testdrive/area-42/node-1/event.json', false],
    ['mqttkit-1/+/+/+/data.json', 'mqttkit-1/testdrive/area-42/data.json', false],
  ],
  // Shared-subscription prefixes are not looked through (documented on the function).
  'shared-subscription prefix taken literally': [
    ['$share/daqd/hiverize/#', 'hiverize/testdrive', false],
    ['$share/daqd/hiverize/#', '$share/daqd/hiverize/testdrive', true],
  ],
};

describe('topicMatchesFilter', () => {
  for (const [group, list] of Object.entries(cases)) {
    describe(group, () => {
      for (const [filter, topic, matches] of list) {
        it(`'${filter}' ${matches ? 'matches' : 'does not match'} '${topic}'`, () => {
          expect(topicMatchesFilter(filter, topic)).to.equal(matches);
        });
      }
    });
  }
});
