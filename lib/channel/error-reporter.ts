import { redactPasskey } from '../acquire/decode/ecowitt-passkey.js';
import { carriesErrors, ERROR_SLOT } from '../acquire/decode/error-slot.js';
import { type TopicStrategyApp, topicToTopology } from '../acquire/decode/topic.js';
import type { InboundMessage } from '../acquire/source/source.js';
import { errorMessage } from '../core/errors.js';

/** Everything an `ErrorReporter` needs. */
export interface ErrorReporterContext {
  app: TopicStrategyApp;
  /** Publishes one report (QoS 0); rejects when it cannot. */
  publish: (topic: string, payload: string) => Promise<void>;
  /** Called when a publish failed (the report is lost, the message is not). */
  onPublishError: (topic: string, err: unknown) => void;
  /** At most one report per base topic within this many ms. Default 1000. */
  intervalMs?: number;
  /** At most this many reports per interval for the whole realm, whatever the topics. Default 100. */
  burst?: number;
}

/** What became of one report. */
export type ReportOutcome = 'published' | 'held back' | 'no base topic' | 'error topic';

/**
 * Answers messages that could not be stored on Kotori's `<base topic>/error.json`, so that a node
 * (or its owner watching the topic) learns why. Guarded so that no input can make daqd amplify
 * traffic on the broker:
 * - a message on an error topic is never answered (see `carriesErrors`), and every report goes to a
 *   topic ending in `error.json`, so a report that comes back under the realm's own subscription is
 *   dropped unanswered;
 * - at most one report per base topic per interval, and at most `burst` per interval for the realm;
 *   the rest are counted, and the next report of that topic says how many were held back.
 */
export class ErrorReporter {
  /** Reports published / held back by the rate limits / without a base topic to answer on. */
  readonly counts = { published: 0, heldBack: 0, noBaseTopic: 0 };
  private readonly intervalMs: number;
  private readonly burst: number;
  /** Base topic → when its last report went out; oldest first (re-inserted on every report). */
  private readonly lastReport = new Map<string, number>();
  /** Reports held back per base topic since its last published one. */
  private readonly heldBack = new Map<string, number>();
  private window = { start: 0, count: 0 };

  constructor(private readonly ctx: ErrorReporterContext) {
    this.intervalMs = ctx.intervalMs ?? 1000;
    this.burst = ctx.burst ?? 100;
  }

  /** Answers `message`, failed with `err`, unless a guard above says no. `now` in ms. */
  report(message: InboundMessage, err: unknown, now = Date.now()): ReportOutcome {
    if (carriesErrors(message.topic)) return 'error topic';
    const topic = errorTopic(message.topic, this.ctx.app);
    if (topic === undefined) {
      this.counts.noBaseTopic++;
      return 'no base topic';
    }
    this.forgetBefore(now - this.intervalMs);
    if (now - this.window.start >= this.intervalMs) this.window = { start: now, count: 0 };
    if (this.lastReport.has(topic) || this.window.count >= this.burst) {
      this.counts.heldBack++;
      this.heldBack.set(topic, (this.heldBack.get(topic) ?? 0) + 1);
      return 'held back';
    }
    this.window.count++;
    this.lastReport.set(topic, now);
    const suppressed = this.heldBack.get(topic) ?? 0;
    this.heldBack.delete(topic);
    this.counts.published++;
    const payload = JSON.stringify(errorDocument(message, err, suppressed));
    this.ctx
      .publish(topic, payload)
      .catch((publishErr: unknown) => this.ctx.onPublishError(topic, publishErr));
    return 'published';
  }

  /** Drops the base topics whose last report is older than `cutoff`, so the maps stay small. */
  private forgetBefore(cutoff: number): void {
    for (const [topic, at] of this.lastReport) {
      if (at > cutoff) break;
      this.lastReport.delete(topic);
    }
    // Counts of topics not reported on for a while are kept only while there are few of them.
    if (this.heldBack.size > 10_000) this.heldBack.clear();
  }
}

/**
 * Kotori's error document: type, message, description, timestamp; `held_back` when reports of the
 * same base topic were held back by the rate limit since the last one.
 */
function errorDocument(message: InboundMessage, err: unknown, heldBack: number): Record<string, unknown> {
  // Ecowitt's secret never goes back out: redacted before the payload is cut short, so no part of it shows.
  const payload = redactPasskey(message.payload.toString('utf8'));
  const shown = payload.length > 500 ? `${payload.slice(0, 500)}…` : payload;
  const document: Record<string, unknown> = {
    type: err instanceof Error ? err.name : 'Error',
    message: redactPasskey(errorMessage(err)),
    description: `Error processing MQTT message "${shown}" from topic "${message.topic}".`,
    timestamp: new Date(Number(message.receivedAt / 1_000_000n)).toISOString(),
  };
  if (heldBack > 0) document['held_back'] = heldBack;
  return document;
}

/**
 * `<base topic>/error.json`, Kotori's place for errors: the topic without its slot
 * (`realm/net/gw/node/data/temp` → `realm/net/gw/node/error.json`). When the topic does not decode,
 * its last level is replaced (`realm/short` → `realm/error.json`); a topic of one level (or one
 * whose only level follows a leading `/`) has no base topic: `undefined`.
 */
export function errorTopic(topic: string, app: TopicStrategyApp): string | undefined {
  try {
    const { slot } = topicToTopology(topic, app);
    if (slot !== '' && topic.endsWith(`/${slot}`)) {
      return `${topic.slice(0, topic.length - slot.length)}${ERROR_SLOT}`;
    }
  } catch {
    // Fall through: an undecodable topic still gets an answer next to it.
  }
  const slash = topic.lastIndexOf('/');
  if (slash <= 0) return undefined;
  return `${topic.slice(0, slash)}/${ERROR_SLOT}`;
}
