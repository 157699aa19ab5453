/** How a realm lays out its topics (and HTTP paths): `mqttkit` (WAN) or `basic` (LAN). */
export type StrategyName = 'mqttkit' | 'basic';

/**
 * Where a reading comes from, decoded from an MQTT topic or an HTTP path.
 * WAN (mqttkit): realm/network/gateway/node/slot. LAN (basic): realm/node/slot (no network, gateway).
 */
export interface Topology {
  realm: string;
  network?: string | undefined;
  gateway?: string | undefined;
  node: string;
  /** The rest after the node, e.g. `data.json`, `data/temperature`, `event.json`; may contain `/`. */
  slot: string;
}

/** Where the points of one topology are stored. */
export interface StorageAddress {
  database: string;
  /** Measurement for readings (`…_sensors` / `sensors`). */
  measurement: string;
  /** Measurement for events (`…_events` / `events`). */
  eventsMeasurement: string;
}
