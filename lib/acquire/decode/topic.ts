import { basicTopology } from './basic.js';
import { mqttkitTopology } from './mqttkit.js';
import type { StrategyName, Topology } from './topology.js';

/** The parts of a realm app that decide how its topics are read (a subset of `RealmApp`). */
export interface TopicStrategyApp {
  realm: string;
  strategy: StrategyName;
  /** Networks the `channel/<net>-<gw>-<node>` form may address; undefined = any. */
  direct_channel_allowed_networks?: readonly string[] | undefined;
}

/**
 * Decode an MQTT topic (or the topic an HTTP path maps to) with the strategy of the realm:
 * `mqttkit` (WAN, see `mqttkitTopology`) or `basic` (LAN, see `basicTopology`).
 * Pure; throws `DecodeError` only.
 */
export function topicToTopology(topic: string, app: TopicStrategyApp): Topology {
  switch (app.strategy) {
    case 'mqttkit':
      return mqttkitTopology(topic, {
        realm: app.realm,
        allowedNetworks: app.direct_channel_allowed_networks,
      });
    case 'basic':
      return basicTopology(topic, { realm: app.realm });
  }
}
