/** What one scenario saw, counted per reading sequence number. */
export interface Tally {
  /** Readings handed to the publisher (sequence numbers given out). */
  published: number;
  /** Readings the ingest path acknowledged (PUBACK/PUBCOMP from the broker, HTTP 2xx). */
  acknowledged: number;
  /** Distinct readings found in the store. */
  stored: number;
  /** Acknowledged readings not in the store. */
  lost: number;
  /** Copies in the store beyond the first, over every reading. */
  duplicated: number;
  /** Readings never acknowledged (nor refused) by the end: the path stopped taking them. */
  unacknowledged: number;
  /** Readings refused for good (an HTTP 4xx): a client does not send them again. */
  rejected: number;
  /** The first few lost sequence numbers, for the report. */
  lostSample: number[];
}

/**
 * The sequence numbers of one scenario: every reading gets a unique one when it is published, and is
 * marked when its ingest path acknowledges or refuses it. `tally` compares that with the store.
 */
export class Ledger {
  private next = 0;
  private readonly acked = new Set<number>();
  private readonly refused = new Set<number>();

  /** A new sequence number. */
  issue(): number {
    return this.next++;
  }

  acknowledge(seq: number): void {
    this.acked.add(seq);
  }

  reject(seq: number): void {
    this.refused.add(seq);
  }

  get published(): number {
    return this.next;
  }

  get acknowledged(): number {
    return this.acked.size;
  }

  /** Readings neither acknowledged nor refused yet. */
  get open(): number {
    return this.next - this.acked.size - this.refused.size;
  }

  /** True when every acknowledged reading is among `stored`. */
  allAcknowledgedIn(stored: readonly number[]): boolean {
    const seen = new Set(stored);
    for (const seq of this.acked) if (!seen.has(seq)) return false;
    return true;
  }

  /** The scenario's figures, given every sequence number found in the store (one entry per copy). */
  tally(stored: readonly number[]): Tally {
    const copies = new Map<number, number>();
    for (const seq of stored) copies.set(seq, (copies.get(seq) ?? 0) + 1);
    let duplicated = 0;
    for (const n of copies.values()) duplicated += n - 1;
    const lostSample: number[] = [];
    let lost = 0;
    for (const seq of this.acked) {
      if (copies.has(seq)) continue;
      lost++;
      if (lostSample.length < 10) lostSample.push(seq);
    }
    return {
      published: this.next,
      acknowledged: this.acked.size,
      stored: copies.size,
      lost,
      duplicated,
      unacknowledged: this.open,
      rejected: this.refused.size,
      lostSample: lostSample.sort((a, b) => a - b),
    };
  }
}
