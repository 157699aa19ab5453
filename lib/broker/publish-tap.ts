import type { InboundMessage, MessageHandler } from '../acquire/source/source.js';
import { nowNs } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { topicMatchesFilter } from './topic-filter.js';

/** Called once the taps are done with a message: null lets the broker acknowledge and route it. */
export type TapDone = (err: Error | null) => void;

/** What a tap is opened with. */
export interface TapOptions {
  /** MQTT filters the tap takes messages of, e.g. `hiverize/#`. */
  filters: readonly string[];
  /** Settles once the message is stored (or failed for good); rejects to leave it unacknowledged. */
  handler: MessageHandler;
  /**
   * Messages in the handler's hands at most before QoS 0 publishers wait too (QoS 1 and 2 publishers
   * always wait for their message's handler).
   */
  window: number;
}

interface Held {
  message: InboundMessage;
  qos: number;
  done: TapDone;
}

/** The messages one opening of a tap has in its handler's hands (a pause waits for these only). */
interface Generation {
  inflight: number;
  idle: (() => void)[];
}

interface Tap {
  key: string;
  filters: readonly string[];
  /** Undefined while paused: messages are held until the tap opens again. */
  handler: MessageHandler | undefined;
  window: number;
  current: Generation;
  held: Held[];
  /** When the tap was paused (ms since the epoch); undefined while open. */
  pausedAt: number | undefined;
  /** Says, now and then, that a paused tap still holds messages. */
  holdTimer: NodeJS.Timeout | undefined;
}

/** A paused tap and what it holds, for `/health`. */
export interface TapHold {
  key: string;
  /** Messages held, unacknowledged. */
  messages: number;
  /** Since when the tap is paused, ISO 8601. */
  since: string;
}

/** How often a paused tap that holds messages says so in the log, ms. */
const HOLD_NOTICE_MS = 10_000;

/**
 * The embedded broker's hand-over of published messages to daqd's realm channels, inside the broker's
 * publish path: a message reaches a tap before the broker acknowledges it to its publisher, and the
 * acknowledgement waits for the tap's handler, that is for the reading to be stored. That is the one
 * point where aedes can be made to acknowledge only what is stored: it sends PUBACK before it routes a
 * message to subscribers (aedes 1.x `enqueuePublish`), and finishes routing out of order under load.
 *
 * Taps are keyed (by realm). A paused tap holds its messages, unacknowledged, for as long as it takes
 * until it opens again (a realm restarting after its app changed; the old channel may need long to
 * drain while the store hangs), or until it is closed (the realm was removed: the held messages are
 * then let through without being stored, as for any topic no realm takes). No timer ever lets a
 * message of a paused tap through: its publisher's own retry covers the wait.
 */
export class PublishTaps {
  private readonly taps = new Map<string, Tap>();

  constructor(private readonly ctx: { log: Log }) {}

  /** Opens (or reopens) the tap `key`; messages it held while paused go to the new handler. */
  open(key: string, options: TapOptions): void {
    const tap = this.taps.get(key);
    if (tap === undefined) {
      const current = { inflight: 0, idle: [] };
      this.taps.set(key, { key, ...options, current, held: [], pausedAt: undefined, holdTimer: undefined });
      return;
    }
    clearInterval(tap.holdTimer);
    tap.holdTimer = undefined;
    if (tap.pausedAt !== undefined && tap.held.length > 0) {
      this.ctx.log.notice(
        `'${key}' is back after ${seconds(Date.now() - tap.pausedAt)}: ` +
          `${tap.held.length} held message(s) handed over`,
      );
    }
    tap.pausedAt = undefined;
    tap.filters = options.filters;
    tap.handler = options.handler;
    tap.window = options.window;
    tap.current = { inflight: 0, idle: [] };
    const held = tap.held;
    tap.held = [];
    for (const { message, qos, done } of held) {
      if (tap.filters.some((filter) => topicMatchesFilter(filter, message.topic))) {
        this.deliver(tap, message, qos, done);
      } else done(null);
    }
  }

  /**
   * Pauses the tap `key`: new messages are held, unacknowledged, from now on until `open` or `close`.
   * Resolves once the messages already in its handler's hands have settled.
   */
  pause(key: string): Promise<void> {
    const tap = this.taps.get(key);
    if (tap === undefined) return Promise.resolve();
    tap.handler = undefined;
    if (tap.pausedAt === undefined) {
      tap.pausedAt = Date.now();
      tap.holdTimer = setInterval(() => this.noticeHold(key, tap), HOLD_NOTICE_MS);
      tap.holdTimer.unref();
    }
    const generation = tap.current;
    if (generation.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => generation.idle.push(resolve));
  }

  /**
   * Closes the tap `key` for good (its realm was removed): the messages it held go on unstored, as
   * for any topic no realm takes, and so do new ones from now on.
   */
  close(key: string): void {
    const tap = this.taps.get(key);
    if (tap === undefined) return;
    this.taps.delete(key);
    clearInterval(tap.holdTimer);
    const held = tap.held;
    tap.held = [];
    if (held.length > 0) {
      this.ctx.log.notice(`'${key}' was removed: ${held.length} held message(s) passed on unstored`);
    }
    for (const { done } of held) done(null);
  }

  /** The paused taps: since when, and how many messages each holds. */
  holds(): TapHold[] {
    const holds: TapHold[] = [];
    for (const [key, tap] of this.taps) {
      if (tap.pausedAt === undefined) continue;
      holds.push({ key, messages: tap.held.length, since: new Date(tap.pausedAt).toISOString() });
    }
    return holds;
  }

  /** Whether the tap `key` is open. */
  isOpen(key: string): boolean {
    return this.taps.get(key)?.handler !== undefined;
  }

  /**
   * Hands a published message to every open tap whose filters match it, holds it for paused ones, and
   * calls `done` when they are through with it (at once when no tap wants it). `receivedAt` is the
   * time of its first arrival when the broker has seen this very message before (a QoS 2 resend).
   */
  offer(topic: string, payload: Buffer, qos: number, done: TapDone, receivedAt = nowNs()): void {
    let first: Tap | undefined;
    let more: Tap[] | undefined;
    for (const tap of this.taps.values()) {
      if (!tap.filters.some((filter) => topicMatchesFilter(filter, topic))) continue;
      if (first === undefined) first = tap;
      else if (more === undefined) more = [tap];
      else more.push(tap);
    }
    if (first === undefined) {
      done(null);
      return;
    }
    const message: InboundMessage = { topic, payload, receivedAt };
    if (more === undefined) {
      this.deliver(first, message, qos, done);
      return;
    }
    // Overlapping realms: the publisher is answered once every one of them is through.
    let pending = more.length + 1;
    let failure: Error | null = null;
    const each: TapDone = (err) => {
      failure ??= err;
      if (--pending === 0) done(failure);
    };
    this.deliver(first, message, qos, each);
    for (const tap of more) this.deliver(tap, message, qos, each);
  }

  /** The broker is closing: held messages are refused (left unacknowledged), every tap dropped. */
  abort(reason: Error): void {
    for (const tap of this.taps.values()) {
      clearInterval(tap.holdTimer);
      const held = tap.held;
      tap.held = [];
      for (const { done } of held) done(reason);
      for (const wake of tap.current.idle.splice(0)) wake();
    }
    this.taps.clear();
  }

  private deliver(tap: Tap, message: InboundMessage, qos: number, done: TapDone): void {
    const handler = tap.handler;
    if (handler === undefined) {
      if (tap.held.length === 0 && tap.pausedAt !== undefined) {
        this.ctx.log.notice(
          `'${tap.key}' is restarting: holding its messages, unacknowledged, until it is back`,
        );
      }
      tap.held.push({ message, qos, done });
      return;
    }
    const generation = tap.current;
    generation.inflight++;
    // QoS 0 promises nothing: its publisher goes on at once while the handler keeps up.
    const early = qos === 0 && generation.inflight <= tap.window;
    if (early) done(null);
    let handled: Promise<void>;
    try {
      handled = handler(message);
    } catch (err) {
      handled = Promise.reject(err);
    }
    handled.then(
      () => this.settled(generation, early ? undefined : done, null),
      (err: unknown) => {
        if (early && this.ctx.log.isDebug()) {
          this.ctx.log.debug(`QoS 0 message on '${message.topic}' not stored: ${errorMessage(err)}`);
        }
        const failure = err instanceof Error ? err : new Error(String(err));
        this.settled(generation, early ? undefined : done, failure);
      },
    );
  }

  private settled(generation: Generation, done: TapDone | undefined, err: Error | null): void {
    generation.inflight--;
    done?.(err);
    if (generation.inflight === 0) for (const wake of generation.idle.splice(0)) wake();
  }

  private noticeHold(key: string, tap: Tap): void {
    if (tap.pausedAt === undefined || tap.held.length === 0) return;
    this.ctx.log.notice(
      `'${key}' is still restarting after ${seconds(Date.now() - tap.pausedAt)}: ` +
        `holding ${tap.held.length} message(s), unacknowledged`,
    );
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
