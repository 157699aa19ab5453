import { strategyNamed } from './strategy/registry.js';
import type { StrategyApp } from './strategy/strategy.js';
import type { Topology } from './topology.js';

/** The parts of a realm app that decide how its topics are read (a subset of `RealmApp`). */
export interface TopicStrategyApp extends StrategyApp {
  /** A strategy's name (`strategy/registry.ts`). */
  strategy: string;
}

/**
 * Decode an MQTT topic (or the topic an HTTP ingest path maps to) with the strategy of the realm
 * (`strategy/`: `mqttkit` for WAN, `basic` for LAN). Pure; throws `DecodeError` only.
 */
export function topicToTopology(topic: string, app: TopicStrategyApp): Topology {
  return strategyNamed(app.strategy).topicToTopology(topic, app);
}
