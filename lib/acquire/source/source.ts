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
