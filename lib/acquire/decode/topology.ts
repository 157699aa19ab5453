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
  /** The rest after the node, e.g. `data.json`, `data/temperature`, `event.json`; may contain `/`. */
  slot: string;
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
