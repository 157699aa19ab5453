/** The earliest and latest time of some points, integer nanoseconds. */
export interface TimeSpan {
  readonly min: bigint;
  readonly max: bigint;
}

/**
 * Finds the earliest and latest timestamp of a body's lines without a number per line: a timestamp of
 * digits without sign or leading zero is compared as text (longer is later, else digit by digit), and
 * only the two ends become numbers. A negative timestamp or one with a leading zero makes the span
 * unknown (undefined), which only costs the body's writes their overlap (see `WriteBatcher`).
 */
export class LineTimeSpan {
  private minText = '';
  private minFrom = 0;
  private minTo = 0;
  private maxText = '';
  private maxFrom = 0;
  private maxTo = 0;
  private minNs: bigint | undefined;
  private maxNs: bigint | undefined;
  private unknown = false;

  /** A timestamp written as `text[from, to)`, in the body's unit. */
  addDigits(text: string, from: number, to: number): void {
    const first = text.charCodeAt(from);
    if (first === 0x2d || (first === 0x30 && to - from > 1)) {
      this.unknown = true;
      return;
    }
    // Timestamps mostly grow line by line: the latest is compared first.
    if (this.maxText === '' || compareDigits(text, from, to, this.maxText, this.maxFrom, this.maxTo) > 0) {
      this.maxText = text;
      this.maxFrom = from;
      this.maxTo = to;
      if (this.minText !== '') return;
    }
    if (this.minText === '' || compareDigits(text, from, to, this.minText, this.minFrom, this.minTo) < 0) {
      this.minText = text;
      this.minFrom = from;
      this.minTo = to;
    }
  }

  /** A time in nanoseconds (a line read in full, or the time of arrival of a line without one). */
  addNs(ns: bigint): void {
    if (this.minNs === undefined || ns < this.minNs) this.minNs = ns;
    if (this.maxNs === undefined || ns > this.maxNs) this.maxNs = ns;
  }

  /** The span in nanoseconds (`unitNs` per unit of the digits), or undefined when unknown or empty. */
  span(unitNs: bigint): TimeSpan | undefined {
    if (this.unknown) return undefined;
    let min = this.minNs;
    let max = this.maxNs;
    if (this.minText !== '') {
      const low = BigInt(this.minText.slice(this.minFrom, this.minTo)) * unitNs;
      const high = BigInt(this.maxText.slice(this.maxFrom, this.maxTo)) * unitNs;
      if (min === undefined || low < min) min = low;
      if (max === undefined || high > max) max = high;
    }
    return min === undefined || max === undefined ? undefined : { min, max };
  }
}

/** Compares two runs of digits (no sign, no leading zero) as numbers. */
function compareDigits(a: string, aFrom: number, aTo: number, b: string, bFrom: number, bTo: number): number {
  const length = aTo - aFrom;
  if (length !== bTo - bFrom) return length - (bTo - bFrom);
  for (let k = 0; k < length; k++) {
    const d = a.charCodeAt(aFrom + k) - b.charCodeAt(bFrom + k);
    if (d !== 0) return d;
  }
  return 0;
}
