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
  filters: readonly string[];
  /** Undefined while paused: messages are held until the tap opens again. */
  handler: MessageHandler | undefined;
  window: number;
  current: Generation;
  held: Held[];
  releaseTimer: NodeJS.Timeout | undefined;
}

/**
 * The embedded broker's hand-over of published messages to daqd's realm channels, inside the broker's
 * publish path: a message reaches a tap before the broker acknowledges it to its publisher, and the
 * acknowledgement waits for the tap's handler, that is for the reading to be stored. That is the one
 * point where aedes can be made to acknowledge only what is stored: it sends PUBACK before it routes a
 * message to subscribers (aedes 1.x `enqueuePublish`), and finishes routing out of order under load.
 *
 * Taps are keyed (by realm). A paused tap holds its messages, unacknowledged, until it opens again
 * (a realm restarting after its app changed) or `holdTimeout` passes (the realm was removed: the held
 * messages are then let through without being stored, as for any topic no realm takes).
 */
export class PublishTaps {
  private readonly taps = new Map<string, Tap>();

  constructor(private readonly ctx: { holdTimeout: number; log: Log }) {}

  /** Opens (or reopens) the tap `key`; messages it held while paused go to the new handler. */
  open(key: string, options: TapOptions): void {
    const tap = this.taps.get(key);
    if (tap === undefined) {
      const current = { inflight: 0, idle: [] };
      this.taps.set(key, { ...options, current, held: [], releaseTimer: undefined });
      return;
    }
    clearTimeout(tap.releaseTimer);
    tap.releaseTimer = undefined;
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
   * Pauses the tap `key`: new messages are held from now on. Resolves once the messages already in
   * its handler's hands have settled.
   */
  pause(key: string): Promise<void> {
    const tap = this.taps.get(key);
    if (tap === undefined) return Promise.resolve();
    tap.handler = undefined;
    clearTimeout(tap.releaseTimer);
    tap.releaseTimer = setTimeout(() => this.release(key, tap), this.ctx.holdTimeout);
    tap.releaseTimer.unref();
    const generation = tap.current;
    if (generation.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => generation.idle.push(resolve));
  }

  /** Whether the tap `key` is open. */
  isOpen(key: string): boolean {
    return this.taps.get(key)?.handler !== undefined;
  }

  /**
   * Hands a published message to every open tap whose filters match it, holds it for paused ones, and
   * calls `done` when they are through with it (at once when no tap wants it).
   */
  offer(topic: string, payload: Buffer, qos: number, done: TapDone): void {
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
    const message: InboundMessage = { topic, payload, receivedAt: nowNs() };
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
      clearTimeout(tap.releaseTimer);
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

  /** A paused tap nobody reopened: its held messages go on without being stored. */
  private release(key: string, tap: Tap): void {
    if (this.taps.get(key) !== tap || tap.handler !== undefined) return;
    this.taps.delete(key);
    if (tap.held.length > 0) {
      this.ctx.log.info(`'${key}' did not come back: ${tap.held.length} held message(s) passed on unstored`);
    }
    for (const { done } of tap.held.splice(0)) done(null);
  }
}
