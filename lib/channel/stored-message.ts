import type { Settle } from '../acquire/deliver/pending-batches.js';
import { type InboundMessage, type MessageOutcome, tellOutcome } from '../acquire/source/source.js';

/** How a `StoredMessage` reports to its channel. */
export interface MessageOutcomes {
  stored(message: InboundMessage, skipped: readonly string[] | undefined): void;
  /** Counts and reports a failure for good (resolves), or rethrows a retryable one. */
  failed(message: InboundMessage, database: string, err: unknown): Promise<void>;
}

/**
 * One MQTT message waiting in a batch: what its channel needs once the batch is written (the message,
 * for an error report) and its source's outcome to tell. One small object per reading in flight,
 * in place of a promise per stage and their closures.
 */
export class StoredMessage implements Settle {
  constructor(
    private readonly outcomes: MessageOutcomes,
    private readonly message: InboundMessage,
    private readonly database: string,
    private readonly skipped: readonly string[] | undefined,
    private readonly outcome: MessageOutcome,
  ) {}

  stored(): void {
    try {
      this.outcomes.stored(this.message, this.skipped);
    } finally {
      // Stored is stored: the message is acknowledged even if reporting a skipped part threw.
      this.outcome.done();
    }
  }

  failed(err: unknown): void {
    tellOutcome(this.outcomes.failed(this.message, this.database, err), this.outcome);
  }
}
