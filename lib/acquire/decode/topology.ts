/**
 * Where a reading comes from, decoded from an MQTT topic or an HTTP path by the realm's strategy
 * (`strategy/`). WAN (mqttkit): realm/network/gateway/node/slot. LAN (basic): realm/node/slot (no
 * network, gateway).
 */
export interface Topology {
  realm: string;
  network?: string | undefined;
  gateway?: string | undefined;
  node: string;
  /**
   * The rest after the node, e.g. `data.json`, `data/temperature`, `event.json`; may contain `/`.
   * Empty for a topic template without `{slot}`: its payload is a plain value or a JSON document.
   */
  slot: string;
  /**
   * Topic templates only (`strategy/template.ts`): the field a plain value is stored as, from `{field}`
   * or the topic's last level. Its presence is what lets the plain-value decoder take the payload.
   */
  field?: string | undefined;
  /** Topic templates only: the template's other named parts (`{project}` → `project`), stored as tags. */
  tags?: Readonly<Record<string, string>> | undefined;
}

/**
 * The parts of a topology that pick its database, i.e. the nodes that share one: realm and network
 * (WAN), or realm and node (LAN).
 */
export type DatabaseTopology =
  | { realm: string; network: string; node?: undefined }
  | { realm: string; node: string; network?: undefined };

/** What a reading is: a measurement (`data`) or an event (`event`); each has its own measurement. */
export type DataKind = 'data' | 'event';

/** Where the points of one topology are stored. */
export interface StorageAddress {
  database: string;
  /** Measurement for readings (`…_sensors` / `sensors`). */
  measurement: string;
  /** Measurement for events (`…_events` / `events`). */
  eventsMeasurement: string;
}
