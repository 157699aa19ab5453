/** Counters of one channel, for the summary log line, /health and /metrics. */
export class ChannelStats {
  received = 0;
  stored = 0;
  failed = 0;
  ignored = 0;
  private last = { received: 0, stored: 0, failed: 0, at: Date.now() };

  /** The summary since the previous call: `received 120, stored 118, failed 2 in 60 s (2.0/s)`. */
  summarize(now = Date.now()): string {
    const seconds = Math.max((now - this.last.at) / 1000, 0.001);
    const received = this.received - this.last.received;
    const stored = this.stored - this.last.stored;
    const failed = this.failed - this.last.failed;
    this.last = { received: this.received, stored: this.stored, failed: this.failed, at: now };
    return `received ${received}, stored ${stored}, failed ${failed} in ${Math.round(seconds)} s (${(received / seconds).toFixed(1)}/s)`;
  }
}
