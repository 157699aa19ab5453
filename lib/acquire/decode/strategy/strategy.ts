import type { DatabaseTopology, Topology } from '../topology.js';
import type { TopicTemplate } from './topic-template.js';

/** The parts of a realm app a strategy reads topics with (a subset of `RealmApp`). */
export interface StrategyApp {
  realm: string;
  /** Networks the `channel/<net>-<gw>-<node>` form may address (mqttkit); undefined = any. */
  direct_channel_allowed_networks?: readonly string[] | undefined;
  /** The app's `topic_template`, compiled when the configuration was loaded (template strategy). */
  topic_template?: TopicTemplate | undefined;
}

/**
 * Strategy: how a realm lays out its topics and HTTP paths (Kotori's »acquisition strategy«), i.e. how
 * a topic or a path becomes a topology. One file per strategy, listed in `registry.ts`; a realm app
 * names one with `application = <name or entry point>`.
 * Contract: pure (no I/O, clock or logger); throws `DecodeError` only.
 */
export interface Strategy {
  /** The name in `RealmApp.strategy` and in `application = <name>`, e.g. `mqttkit`. */
  readonly name: string;
  /** Kotori entry points (`application = …` / `app_factory = …`) that select this strategy too. */
  readonly entryPoints: readonly string[];
  /**
   * Set when an app key, not `application = …`, selects the strategy (`topic_template`): its name is
   * then no entry point.
   */
  readonly selectedBy?: 'topic_template' | undefined;
  /** Kotori vendor apps (`type = vendor`, the section named after the vendor) of this strategy. */
  readonly vendors: readonly string[];
  /** The address of one node below the realm in topics and HTTP paths, e.g. `<network>/<gateway>/<node>`. */
  readonly addressShape: string;
  /** A topic (`<realm>/<address>/<slot…>`) → its topology. */
  topicToTopology(topic: string, app: StrategyApp): Topology;
  /**
   * The topology an HTTP path names: `address` are its decoded segments between the realm and the file,
   * `slot` the slot it stands for (`data.json`). A DecodeError unless the segments are one node's address.
   */
  pathToTopology(address: readonly string[], slot: string, app: StrategyApp): Topology;
  /**
   * The nodes that share one database, named by the one segment of `/api/<realm>/<segment>/latest`:
   * a network (WAN), or the node itself (LAN).
   */
  databaseTopology(realm: string, segment: string): DatabaseTopology;
}
