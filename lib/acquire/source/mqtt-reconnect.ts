import { backoffDelay } from '../../core/backoff-delay.js';

/** Retry delays (ms): the first about RETRY_BASE, doubling up to RETRY_MAX, with jitter. */
const RETRY_BASE = 500;
const RETRY_MAX = 30_000;
/**
 * A connection that lasted this long resets the backoff. A shorter one does not, so a broker that
 * accepts and then drops us (e.g. another client with our id) is retried ever more slowly.
 */
const STABLE_MS = 30_000;

/** When `MqttSource` connects again: one timer, and the step on the backoff schedule. */
export class ReconnectSchedule {
  /** Failed or short-lived connections in a row: the step on the backoff schedule. */
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly reconnect: () => void) {}

  /** Connects again after the next step of the backoff schedule. */
  backoff(): void {
    this.after(backoffDelay(this.failures++, RETRY_BASE, RETRY_MAX));
  }

  /** Connects again after the longest delay (e.g. MQTT.js refused its options). */
  slowest(): void {
    this.after(RETRY_MAX);
  }

  /** Connects again after `delayMs`, replacing any earlier plan. */
  after(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reconnect();
    }, delayMs);
  }

  /** A connection accepted at `upSince` (`Date.now()`) closed: a stable one resets the backoff. */
  ended(upSince: number): void {
    if (Date.now() - upSince >= STABLE_MS) this.failures = 0;
  }

  /** Connects no more. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
