/** Counters of one channel, for the summary log line, /health and /metrics. */
export class ChannelStats {
  received = 0;
  stored = 0;
  failed = 0;
  ignored = 0;
  /** Parts of stored messages left out (CSV lines with another field count), counted one by one. */
  skipped = 0;
  /** Error reports published, held back by the rate limit, or without a topic to go to. */
  errorReports = { published: 0, heldBack: 0, noBaseTopic: 0 };
  private last = { received: 0, stored: 0, failed: 0, heldBack: 0, at: Date.now() };

  /**
   * The summary since the previous call: `received 120, stored 118, failed 2 in 60 s (2.0/s)`, plus
   * `; 40 error reports held back` when the rate limit of the error topic held some back.
   */
  summarize(now = Date.now()): string {
    const seconds = Math.max((now - this.last.at) / 1000, 0.001);
    const received = this.received - this.last.received;
    const stored = this.stored - this.last.stored;
    const failed = this.failed - this.last.failed;
    const heldBack = this.errorReports.heldBack - this.last.heldBack;
    this.last = {
      received: this.received,
      stored: this.stored,
      failed: this.failed,
      heldBack: this.errorReports.heldBack,
      at: now,
    };
    const line = `received ${received}, stored ${stored}, failed ${failed} in ${Math.round(seconds)} s (${(received / seconds).toFixed(1)}/s)`;
    return heldBack > 0 ? `${line}; ${heldBack} error report(s) held back` : line;
  }
}
