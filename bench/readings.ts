/** The reading every scenario sends: five numeric fields, `seq` numbering the readings of a run. */
export function readingJson(i: number): string {
  return `{"temperature":${20 + (i % 100) / 10},"humidity":${40 + (i % 37)},"pressure":1013.25,"voltage":3.71,"seq":${i}}`;
}

/** The same reading as line-protocol fields, as daqd writes it. */
export function readingFields(i: number): string {
  return `temperature=${20 + (i % 100) / 10},humidity=${40 + (i % 37)},pressure=1013.25,voltage=3.71,seq=${i}`;
}

/** Where reading `i` of a layout goes: network, gateway and node (mqttkit). */
export interface Layout {
  /** Networks (→ databases) and nodes per network (→ measurements). */
  networks: number;
  nodesPerNetwork: number;
}

/** The MQTT → InfluxDB scenarios. */
export type MqttScenario = '1a' | '1b' | '1c' | '1d' | '1e';

/**
 * One topic (1a), 1,000 topics in 10 networks (1b), 1,000 topics in one network (1c), one topic in
 * each of 10 networks (1d). 1c has 1b's topics and 1a's single database, 1d 1b's databases with a
 * topic each, so together they tell apart what the topics cost and what the databases cost (each
 * network is a database of its own, and InfluxDB takes one database per write). 1e is 1a written 100
 * points at a time (`batch_size = 100`): 1b's write size with 1a's one topic and database, so 1e
 * against 1a is what writing in 1b's smaller batches costs on its own.
 */
export const LAYOUTS: Record<
  MqttScenario,
  Layout & {
    title: string;
    /** daqd's settings for the scenario, beyond the bench's own (`[section] key = value`). */
    daqd?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  }
> = {
  '1a': { networks: 1, nodesPerNetwork: 1, title: 'one node topic' },
  '1b': { networks: 10, nodesPerNetwork: 100, title: '1,000 node topics in 10 networks' },
  '1c': { networks: 1, nodesPerNetwork: 1000, title: '1,000 node topics in one network' },
  '1d': { networks: 10, nodesPerNetwork: 1, title: 'one node topic in each of 10 networks' },
  '1e': {
    networks: 1,
    nodesPerNetwork: 1,
    title: 'one node topic, written 100 points at a time',
    daqd: { storage: { batch_size: '100' } },
  },
};

/** The ids of the MQTT → InfluxDB scenarios, in their order. */
export const MQTT_SCENARIOS = Object.keys(LAYOUTS) as MqttScenario[];

/** Whether `id` names an MQTT → InfluxDB scenario. */
export function isMqttScenario(id: string): id is MqttScenario {
  return Object.hasOwn(LAYOUTS, id);
}

/** Topic address of reading `i` in a layout, round robin over every node. */
export function address(layout: Layout, prefix: string, i: number): { network: string; node: string } {
  const slot = i % (layout.networks * layout.nodesPerNetwork);
  const network = Math.floor(slot / layout.nodesPerNetwork);
  const node = slot % layout.nodesPerNetwork;
  return { network: `${prefix}x${network}`, node: `node-${node}` };
}
