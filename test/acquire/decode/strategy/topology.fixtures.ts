import type { Topology } from '../../../../lib/acquire/decode/topology.js';

/** A topic, the options it is read with, and the topology it gives (or the error it raises). */
export interface TopicCase {
  name: string;
  topic: string;
  realm: string;
  allowedNetworks?: readonly string[];
  expected?: Topology;
  /** A regular expression the DecodeError message must match. */
  error?: RegExp;
}

/** The MQTTKit (WAN) strategy: path, device and channel forms. */
export const mqttkitCases: TopicCase[] = [
  // Path form: realm/network/gateway/node/slot…
  {
    name: 'path form',
    topic: 'mqttkit-1/testdrive/foobar/42/data.json',
    realm: 'mqttkit-1',
    expected: { realm: 'mqttkit-1', network: 'testdrive', gateway: 'foobar', node: '42', slot: 'data.json' },
  },
  {
    name: 'path form, slot with slashes',
    topic: 'hiveeyes/testdrive/area-42/node-1/data/temperature',
    realm: 'hiveeyes',
    expected: {
      realm: 'hiveeyes',
      network: 'testdrive',
      gateway: 'area-42',
      node: 'node-1',
      slot: 'data/temperature',
    },
  },
  {
    name: 'path form, Homie slot',
    topic: 'hiveeyes/testdrive/area-42/node-1/data/__json__',
    realm: 'hiveeyes',
    expected: {
      realm: 'hiveeyes',
      network: 'testdrive',
      gateway: 'area-42',
      node: 'node-1',
      slot: 'data/__json__',
    },
  },
  {
    name: 'path form, allow-list does not apply',
    topic: 'mqttkit-1/other/foobar/42/data.json',
    realm: 'mqttkit-1',
    allowedNetworks: ['testdrive'],
    expected: { realm: 'mqttkit-1', network: 'other', gateway: 'foobar', node: '42', slot: 'data.json' },
  },
  {
    name: 'path form without slot',
    topic: 'mqttkit-1/testdrive/foobar/42',
    realm: 'mqttkit-1',
    error: /<slot>/,
  },
  {
    name: 'path form, empty slot',
    topic: 'mqttkit-1/testdrive/foobar/42/',
    realm: 'mqttkit-1',
    error: /no slot/,
  },
  {
    name: 'path form, too short',
    topic: 'mqttkit-1/testdrive/foobar',
    realm: 'mqttkit-1',
    error: /expected/,
  },
  {
    name: 'path form, empty network',
    topic: 'mqttkit-1//foobar/42/data.json',
    realm: 'mqttkit-1',
    error: /empty network/,
  },
  {
    name: 'path form, empty gateway',
    topic: 'mqttkit-1/net//42/data.json',
    realm: 'mqttkit-1',
    error: /empty gateway/,
  },
  {
    name: 'path form, empty node',
    topic: 'mqttkit-1/net/gw//data.json',
    realm: 'mqttkit-1',
    error: /empty node/,
  },

  // Device form: realm/device/<id>/slot…
  {
    name: 'device form',
    topic: 'mqttkit-1/device/123e4567-e89b-12d3-a456-426614174000/data.json',
    realm: 'mqttkit-1',
    expected: {
      realm: 'mqttkit-1',
      network: 'devices',
      gateway: 'default',
      node: '123e4567-e89b-12d3-a456-426614174000',
      slot: 'data.json',
    },
  },
  {
    name: 'device form, slot with slashes',
    topic: 'myrealm/device/abc/data/temperature',
    realm: 'myrealm',
    expected: {
      realm: 'myrealm',
      network: 'devices',
      gateway: 'default',
      node: 'abc',
      slot: 'data/temperature',
    },
  },
  {
    name: 'device form without slot',
    topic: 'myrealm/device/abc',
    realm: 'myrealm',
    error: /device\/<id>\/<slot>/,
  },
  {
    name: 'device form, empty id',
    topic: 'myrealm/device//data.json',
    realm: 'myrealm',
    error: /empty device id/,
  },

  // Channel form: realm/channel/<network>-<gateway>-<node>/slot…
  {
    name: 'channel form, three parts',
    topic: 'mqttkit-1/channel/testdrive-foobar-42/data.json',
    realm: 'mqttkit-1',
    expected: { realm: 'mqttkit-1', network: 'testdrive', gateway: 'foobar', node: '42', slot: 'data.json' },
  },
  {
    name: 'channel form, two parts padded with default',
    topic: 'myrealm/channel/eui-70b3d57ed005dac6/data.json',
    realm: 'myrealm',
    expected: {
      realm: 'myrealm',
      network: 'default',
      gateway: 'eui',
      node: '70b3d57ed005dac6',
      slot: 'data.json',
    },
  },
  {
    name: 'channel form, one part padded twice',
    topic: 'myrealm/channel/70b3d57ed005dac6/data.json',
    realm: 'myrealm',
    expected: {
      realm: 'myrealm',
      network: 'default',
      gateway: 'default',
      node: '70b3d57ed005dac6',
      slot: 'data.json',
    },
  },
  {
    name: 'channel form, more than three parts join into the node',
    topic: 'myrealm/channel/acme-area42-eui70b3d57ed005dac6-suffix/data.json',
    realm: 'myrealm',
    expected: {
      realm: 'myrealm',
      network: 'acme',
      gateway: 'area42',
      node: 'eui70b3d57ed005dac6-suffix',
      slot: 'data.json',
    },
  },
  {
    name: 'channel form, leading realm dropped',
    topic: 'myrealm/channel/myrealm-acme-area42-eui70b3d57ed005dac6/data.json',
    realm: 'myrealm',
    expected: {
      realm: 'myrealm',
      network: 'acme',
      gateway: 'area42',
      node: 'eui70b3d57ed005dac6',
      slot: 'data.json',
    },
  },
  {
    name: 'channel form, leading realm dropped, then more than three parts',
    topic: 'myrealm/channel/myrealm-acme-area42-node-7/data.json',
    realm: 'myrealm',
    expected: { realm: 'myrealm', network: 'acme', gateway: 'area42', node: 'node-7', slot: 'data.json' },
  },
  {
    name: 'channel form, realm and two parts (Kotori pads before it drops, so the realm stays)',
    topic: 'myrealm/channel/myrealm-foo/data.json',
    realm: 'myrealm',
    expected: { realm: 'myrealm', network: 'default', gateway: 'myrealm', node: 'foo', slot: 'data.json' },
  },
  {
    name: 'channel form, realm and three parts (Kotori crashes): padded after the drop',
    topic: 'myrealm/channel/myrealm-area42-node/data.json',
    realm: 'myrealm',
    expected: { realm: 'myrealm', network: 'default', gateway: 'area42', node: 'node', slot: 'data.json' },
  },
  {
    name: 'channel form, dashed realm: a longer name that starts like it is not the realm',
    topic: 'mqttkit-1/channel/mqttkit-10-gw-node/data.json',
    realm: 'mqttkit-1',
    expected: { realm: 'mqttkit-1', network: 'mqttkit', gateway: '10', node: 'gw-node', slot: 'data.json' },
  },
  {
    name: 'channel form, dashed realm as prefix is dropped whole',
    topic: 'mqttkit-1/channel/mqttkit-1-testdrive-foobar-42/data.json',
    realm: 'mqttkit-1',
    expected: { realm: 'mqttkit-1', network: 'testdrive', gateway: 'foobar', node: '42', slot: 'data.json' },
  },
  {
    name: 'channel form, dashed realm prefix with a dashed node',
    topic: 'mqttkit-1/channel/mqttkit-1-testdrive-foobar-node-42/event.json',
    realm: 'mqttkit-1',
    expected: {
      realm: 'mqttkit-1',
      network: 'testdrive',
      gateway: 'foobar',
      node: 'node-42',
      slot: 'event.json',
    },
  },
  {
    name: 'channel form, slot with slashes',
    topic: 'mqttkit-1/channel/testdrive-foobar-42/data/temperature',
    realm: 'mqttkit-1',
    expected: {
      realm: 'mqttkit-1',
      network: 'testdrive',
      gateway: 'foobar',
      node: '42',
      slot: 'data/temperature',
    },
  },
  {
    name: 'channel form, network on the allow-list',
    topic: 'mqttkit-1/channel/testdrive-foobar-42/data.json',
    realm: 'mqttkit-1',
    allowedNetworks: ['testdrive', 'acme'],
    expected: { realm: 'mqttkit-1', network: 'testdrive', gateway: 'foobar', node: '42', slot: 'data.json' },
  },
  {
    name: 'channel form, network not on the allow-list',
    topic: 'mqttkit-1/channel/intruder-foobar-42/data.json',
    realm: 'mqttkit-1',
    allowedNetworks: ['testdrive'],
    error: /network 'intruder' may not use the channel address form/,
  },
  {
    name: 'channel form, padded network not on the allow-list',
    topic: 'mqttkit-1/channel/foobar-42/data.json',
    realm: 'mqttkit-1',
    allowedNetworks: ['testdrive'],
    error: /network 'default'/,
  },
  {
    name: 'channel form, empty allow-list refuses every network',
    topic: 'mqttkit-1/channel/testdrive-foobar-42/data.json',
    realm: 'mqttkit-1',
    allowedNetworks: [],
    error: /network 'testdrive'/,
  },
  {
    name: 'channel form without slot',
    topic: 'mqttkit-1/channel/testdrive-foobar-42',
    realm: 'mqttkit-1',
    error: /channel\/<network>-<gateway>-<node>\/<slot>/,
  },
  {
    name: 'channel form, empty gateway',
    topic: 'mqttkit-1/channel/testdrive--42/data.json',
    realm: 'mqttkit-1',
    error: /empty gateway/,
  },

  // Realm
  {
    name: 'topic of another realm',
    topic: 'other/testdrive/foobar/42/data.json',
    realm: 'mqttkit-1',
    error: /not under realm 'mqttkit-1'/,
  },
  {
    name: 'realm as a mere prefix',
    topic: 'mqttkit-10/testdrive/foobar/42/data.json',
    realm: 'mqttkit-1',
    error: /not under realm/,
  },
  { name: 'the realm alone', topic: 'mqttkit-1', realm: 'mqttkit-1', error: /not under realm/ },
];

/** The basic (LAN) strategy: realm/node/slot…. */
export const basicCases: TopicCase[] = [
  {
    name: 'node and slot',
    topic: 'workbench/node-1/data.json',
    realm: 'workbench',
    expected: { realm: 'workbench', node: 'node-1', slot: 'data.json' },
  },
  {
    name: 'slot with slashes',
    topic: 'workbench/node-1/data/temperature',
    realm: 'workbench',
    expected: { realm: 'workbench', node: 'node-1', slot: 'data/temperature' },
  },
  { name: 'no slot', topic: 'workbench/node-1', realm: 'workbench', error: /no slot/ },
  { name: 'empty node', topic: 'workbench//data.json', realm: 'workbench', error: /empty node/ },
  {
    name: 'another realm',
    topic: 'other/node-1/data.json',
    realm: 'workbench',
    error: /not under realm 'workbench'/,
  },
];
