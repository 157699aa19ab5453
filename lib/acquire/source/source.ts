/** One message as a source hands it to its channel. */
export interface InboundMessage {
  /** MQTT topic, or the topic an HTTP path maps to. */
  topic: string;
  payload: Buffer;
  /** Receive time, integer nanoseconds since the epoch, taken at arrival. */
  receivedAt: bigint;
}

/**
 * Called once per message. The returned promise settles when the message is stored, spooled, or
 * failed for good; only then does the source acknowledge it (MQTT PUBACK for QoS 1).
 * It never rejects for a bad message: that is the handler's to signal.
 */
export type MessageHandler = (message: InboundMessage) => Promise<void>;

/**
 * Told once how a message's handling ended, as `MessageHandler`'s promise would settle: `done` (stored,
 * spooled or failed for good: acknowledge it) or `failed` (leave it unacknowledged). Neither throws.
 */
export interface MessageOutcome {
  done(): void;
  failed(err: unknown): void;
}

/**
 * `MessageHandler` without a promise: `outcome` is told once, possibly before this returns. For a
 * source that keeps thousands of messages in flight (an MQTT connection's receive window): a message
 * waiting for its batch then keeps one small object alive instead of promises, reactions and closures,
 * which the GC would copy and promote.
 */
export type SettledMessageHandler = (message: InboundMessage, outcome: MessageOutcome) => void;

/** Tells `outcome` how `settling` ends: `done` once it resolves, `failed` with its reason. */
export function tellOutcome(settling: Promise<unknown>, outcome: MessageOutcome): void {
  settling.then(
    () => outcome.done(),
    (err: unknown) => outcome.failed(err),
  );
}

/**
 * Where a channel's messages come from: a connection to a broker, the embedded broker's tap, HTTP
 * ingest. Sources are plug-ins: one file each in `acquire/source/`, listed in `source/registry.ts`.
 * A source acknowledges a message (MQTT PUBACK, HTTP 2xx) only once its handler has resolved.
 */
export interface Source {
  /** True while messages can arrive. */
  readonly connected: boolean;
  /** Where the messages come from, for the log (`mqtt://host:1883`, `embedded`, `http`). */
  readonly origin: string;
  /** Starts taking messages; resolves once subscribed, or once a first attempt failed (retries go on). */
  start(): Promise<void>;
  /** Stops taking messages and waits until the handlers of those taken have settled. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A capability some sources have (a broker connection, the embedded broker): publishing a message of
 * daqd's own, such as an error report on `<base topic>/error.json`.
 */
export interface Publisher {
  /** Publishes; rejects when it cannot. */
  publish(topic: string, payload: string, options: { qos: 0 | 1 }): Promise<void>;
}

/** True for a source that can publish (see `Publisher`). */
export function canPublish(source: Source): source is Source & Publisher {
  return typeof (source as Partial<Publisher>).publish === 'function';
}

/**
 * A capability of a source that may be a member of a shared subscription group (a broker connection
 * with `mqtt_shared_group`): leaving the group before it stops, so its share goes to the others.
 */
export interface GroupMember {
  /**
   * Leaves the group (a source in none resolves at once): its share goes to the other members,
   * what was sent to it is handled, and then it takes nothing more. `timeoutMs` bounds it. Idempotent.
   */
  leave(timeoutMs: number): Promise<void>;
}

/** True for a source that can leave a shared group (see `GroupMember`). */
export function canLeaveGroup(source: Source): source is Source & GroupMember {
  return typeof (source as Partial<GroupMember>).leave === 'function';
}
