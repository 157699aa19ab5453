import type { MqttSettings, RealmApp } from '../../config/settings.js';
import type { Log } from '../../core/log.js';
import { type BrokerTapPort, EmbeddedBrokerSource } from './embedded-broker.js';
import { HttpSource, type ReadingsIntake } from './http.js';
import { MqttSource } from './mqtt.js';
import { type PollIntake, PollSource } from './poll.js';
import { PollStateFile } from './poll-state-file.js';
import type { MessageHandler, SettledMessageHandler, Source } from './source.js';

/** What a channel hands its sources: where they deliver what they take. */
export interface SourceHandlers {
  /** For sources of messages with a topic (MQTT, the embedded broker). */
  onMessage: MessageHandler;
  /** The same handler without a promise per message, for a source that keeps many in flight. */
  onMessageSettled?: SettledMessageHandler | undefined;
  /** For sources of readings decoded already (HTTP bodies). */
  intake: ReadingsIntake;
  /** For the polling source: the pipeline's stages and the channel's error reports. */
  poll: PollIntake;
}

/** Everything a source kind may need to open a realm's source. */
export interface SourceSetup extends SourceHandlers {
  app: RealmApp;
  /** `[mqtt]` host and port: the broker daqd's embedded broker (if any) stands for. */
  mainBroker: Pick<MqttSettings, 'host' | 'port'>;
  /** daqd's embedded broker, when `[mqtt] embedded = true`. */
  broker: BrokerTapPort | undefined;
  /** daqd's log; a source logs under `daqd:realm:<realm>:<kind>`. */
  log: Log;
  /** `[daqd] data_dir`: where a source keeps what must outlive a restart (the poll state). */
  dataDir: string;
  /** Longest time a source's stop spends leaving its shared subscription group, milliseconds. */
  leaveTimeout?: number | undefined;
}

/** A kind of source: opens the realm's source of this kind, or undefined when the realm has none. */
export interface SourceKind {
  readonly name: string;
  open(setup: SourceSetup): Source | undefined;
}

/** True when the realm's broker is daqd's embedded one. */
function usesEmbeddedBroker({ app, mainBroker, broker }: SourceSetup): boolean {
  return realmOnEmbeddedBroker(app, mainBroker, broker !== undefined);
}

/** True when daqd runs its embedded broker (`embedded`) and the realm's broker is that one. */
export function realmOnEmbeddedBroker(
  app: Pick<RealmApp, 'mqtt'>,
  mainBroker: Pick<MqttSettings, 'host' | 'port'>,
  embedded: boolean,
): boolean {
  return embedded && app.mqtt.host === mainBroker.host && app.mqtt.port === mainBroker.port;
}

/**
 * Every kind of source daqd has, one entry each, in the order a channel starts them (and stops them in
 * reverse). Adding a source is its file in `acquire/source/`, its entry here, and its test.
 */
export const SOURCE_KINDS: readonly SourceKind[] = [
  {
    // A tap inside daqd's embedded broker, when the realm's broker is that one.
    name: 'embedded-broker',
    open: (setup) => {
      if (!usesEmbeddedBroker(setup)) {
        // A realm moved to a broker of its own takes nothing from the embedded broker's tap any more.
        setup.broker?.closeTap(setup.app.realm);
        return undefined;
      }
      const { broker, app, onMessage } = setup;
      return new EmbeddedBrokerSource({
        broker: broker!,
        key: app.realm,
        topics: app.mqtt_topics,
        onMessage,
      });
    },
  },
  {
    // A client connection to the realm's broker (`[<realm>:mqtt]` or `[mqtt]`) otherwise.
    name: 'mqtt',
    open: (setup) => {
      if (usesEmbeddedBroker(setup)) return undefined;
      const { app } = setup;
      return new MqttSource({
        settings: app.mqtt,
        clientId: `${app.mqtt.client_id}-${app.realm}`,
        topics: app.mqtt_topics,
        sharedGroup: app.mqtt_shared_group,
        leaveTimeout: setup.leaveTimeout,
        log: setup.log.child(`daqd:realm:${app.realm}:mqtt`),
        onMessage: setup.onMessage,
        onMessageSettled: setup.onMessageSettled,
      });
    },
  },
  {
    // HTTP ingest (`http_api = true` or ingest forwarders in the app).
    name: 'http',
    open: (setup) => (setup.app.http_ingest ? new HttpSource({ intake: setup.intake }) : undefined),
  },
  {
    // Nodes polled over HTTP (`poll_urls`, or `poll_url` and `poll_hosts`).
    name: 'poll',
    open: ({ app, poll, dataDir, log }) =>
      app.poll === undefined
        ? undefined
        : new PollSource({
            realm: app.realm,
            settings: app.poll,
            app,
            intake: poll,
            stateFile: new PollStateFile(dataDir, app.realm),
            log: log.child(`daqd:realm:${app.realm}:poll`),
          }),
  },
];

/** The sources of a realm, in `SOURCE_KINDS` order. */
export function openSources(setup: SourceSetup): Source[] {
  const sources: Source[] = [];
  for (const kind of SOURCE_KINDS) {
    const source = kind.open(setup);
    if (source !== undefined) sources.push(source);
  }
  return sources;
}
