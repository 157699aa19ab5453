import type { StorageAddress, Topology } from '../../../lib/acquire/decode/topology.js';

/** A topology and the storage address it gives (or the error it raises). */
export interface StorageCase {
  name: string;
  topology: Topology;
  expected?: StorageAddress;
  /** A regular expression the DecodeError message must match. */
  error?: RegExp;
}

const wan = (network: string, gateway: string, node: string, realm = 'mqttkit-1'): Topology => ({
  realm,
  network,
  gateway,
  node,
  slot: 'data.json',
});
const lan = (node: string, realm = 'workbench'): Topology => ({ realm, node, slot: 'data.json' });

export const storageCases: StorageCase[] = [
  // WAN, named as Kotori names them
  {
    name: 'WAN: realm_network, gateway_node_sensors / _events',
    topology: wan('testdrive', 'foobar', '42'),
    expected: {
      database: 'mqttkit_1_testdrive',
      measurement: 'foobar_42_sensors',
      eventsMeasurement: 'foobar_42_events',
    },
  },
  {
    name: 'WAN: slash, dot and dash become underscores, then lower case',
    topology: wan('Test.Drive', 'Area-42', 'Node/7', 'HiveEyes'),
    expected: {
      database: 'hiveeyes_test_drive',
      measurement: 'area_42_node_7_sensors',
      eventsMeasurement: 'area_42_node_7_events',
    },
  },
  {
    name: 'WAN: per-device form',
    topology: wan('devices', 'default', '123e4567-E89B-12d3'),
    expected: {
      database: 'mqttkit_1_devices',
      measurement: 'default_123e4567_e89b_12d3_sensors',
      eventsMeasurement: 'default_123e4567_e89b_12d3_events',
    },
  },
  {
    name: 'WAN: other characters are kept (Kotori keeps them too)',
    topology: wan('my net', 'gw,1', 'Knoten_ä'),
    expected: {
      database: 'mqttkit_1_my net',
      measurement: 'gw,1_knoten_ä_sensors',
      eventsMeasurement: 'gw,1_knoten_ä_events',
    },
  },
  {
    name: 'WAN: unicode lower case',
    topology: wan('ÄRGER', 'GW', 'ÖL'),
    expected: {
      database: 'mqttkit_1_ärger',
      measurement: 'gw_öl_sensors',
      eventsMeasurement: 'gw_öl_events',
    },
  },

  // LAN
  {
    name: 'LAN: realm_node, sensors / events',
    topology: lan('node-1'),
    expected: { database: 'workbench_node_1', measurement: 'sensors', eventsMeasurement: 'events' },
  },
  {
    name: 'LAN: sanitized',
    topology: lan('Node.One', 'Work-Bench'),
    expected: { database: 'work_bench_node_one', measurement: 'sensors', eventsMeasurement: 'events' },
  },

  // Rejected
  { name: 'empty realm', topology: wan('n', 'g', 'x', ''), error: /empty realm/ },
  { name: 'empty network', topology: wan('', 'g', 'x'), error: /empty network/ },
  { name: 'empty gateway', topology: wan('n', '', 'x'), error: /empty gateway/ },
  { name: 'empty node', topology: lan(''), error: /empty node/ },
  {
    name: 'newline in the node',
    topology: wan('n', 'g', 'a\nb'),
    error: /node "a\\nb" contains control characters/,
  },
  {
    name: 'NUL in the network',
    topology: wan('a\u0000b', 'g', 'x'),
    error: /network .* contains control characters/,
  },
  { name: 'tab in the realm', topology: lan('x', 'a\tb'), error: /realm .* contains control characters/ },
  {
    name: 'line separator in the gateway',
    topology: wan('n', 'a\u2028b', 'x'),
    error: /gateway .* control characters/s,
  },
  {
    name: 'double quote in the database',
    topology: wan('say"hi', 'g', 'x'),
    error: /database name 'mqttkit_1_say"hi' may not contain/,
  },
  {
    name: 'backslash in the database',
    topology: wan('a\\b', 'g', 'x'),
    error: /database name 'mqttkit_1_a\\b' may not contain '"' or '\\'/,
  },
  { name: 'backslash in a LAN database', topology: lan('a\\b'), error: /database name/ },
  {
    name: 'backslash in the measurement',
    topology: wan('n', 'g\\', 'x'),
    error: /measurement name 'g\\_x_sensors' may not contain/,
  },
  { name: 'zero-width space in the database', topology: wan('a\u200bb', 'g', 'x'), error: /not printable/ },
  {
    name: 'database name too long',
    topology: wan('n'.repeat(250), 'g', 'x'),
    error: /longer than 255 bytes/,
  },
  {
    name: 'network without gateway',
    topology: { realm: 'r', network: 'n', node: 'x', slot: 'data.json' },
    error: /network or a gateway but not both/,
  },
  {
    name: 'gateway without network',
    topology: { realm: 'r', gateway: 'g', node: 'x', slot: 'data.json' },
    error: /network or a gateway but not both/,
  },
];
