import type { FieldValue, Point } from '../../core/point.js';
import { parseLineOrReason } from '../decode/line-protocol.js';
import { lineToPoint } from './line-points.js';
import type { TimeSpan } from './line-time-span.js';

/** What the lines of one request share: the unit of their timestamps and the time it arrived. */
export interface LineOrigin {
  /** Nanoseconds per timestamp unit (the request's `precision`). */
  readonly unitNs: bigint;
  /** The time lines without a timestamp get, integer nanoseconds. */
  readonly receivedAt: bigint;
  /** `receivedAt` in `unitNs` as decimal digits, when it is a whole number of them. */
  readonly receivedStamp: string | undefined;
  /**
   * The earliest and latest time of the request's points, once it is read (`lineBodyToPoints`);
   * undefined when not known.
   */
  timeSpan: TimeSpan | undefined;
}

/** The origin of a request's lines. */
export function lineOrigin(unitNs: bigint, receivedAt: bigint): LineOrigin {
  return {
    unitNs,
    receivedAt,
    receivedStamp: receivedAt % unitNs === 0n ? (receivedAt / unitNs).toString() : undefined,
    timeSpan: undefined,
  };
}

/**
 * A point that arrived as a line of InfluxDB line protocol and was found valid, kept as that line:
 * a store that speaks line protocol writes the line as written (`lineIn`), with nothing parsed or
 * built for it; measurement, tags, fields and time are read from it only when asked for (the SQLite
 * store, the spool, dead letters), exactly as `lineToPoint` reads them (a `Point` like any other).
 * Pure; made only for a line the full reader (or `quickCheckLine`) has found valid, with no unsigned
 * value and a time within InfluxDB's range.
 */
export class LinePoint implements Point {
  private read: Point | undefined;
  private timeNs: bigint | undefined;

  /**
   * The line is `piece[start, end)`, without leading and trailing blanks (kept as a part of the piece
   * of the body it was read from, so a line costs no string of its own); its fields end at
   * `fieldsEnd` (its timestamp, if any, follows after spaces); `read`: the point when the line has been
   * read already.
   */
  constructor(
    readonly piece: string,
    readonly start: number,
    readonly end: number,
    readonly fieldsEnd: number,
    readonly origin: LineOrigin,
    read?: Point,
  ) {
    this.read = read;
  }

  /** The line as written. */
  get text(): string {
    return this.piece.slice(this.start, this.end);
  }

  /** True when the line has a timestamp of its own. */
  get stamped(): boolean {
    return this.fieldsEnd < this.end;
  }

  get measurement(): string {
    return this.point().measurement;
  }

  get tags(): Readonly<Record<string, string>> {
    return this.point().tags;
  }

  get fields(): Readonly<Record<string, FieldValue>> {
    return this.point().fields;
  }

  get time(): bigint {
    if (this.timeNs === undefined) {
      if (this.read !== undefined) this.timeNs = this.read.time;
      else {
        const stamp = this.stamp();
        this.timeNs = stamp === '' ? this.origin.receivedAt : BigInt(stamp) * this.origin.unitNs;
      }
    }
    return this.timeNs;
  }

  /** Series key and fields as written, without the timestamp. */
  get head(): string {
    return this.piece.slice(this.start, this.fieldsEnd);
  }

  /**
   * The line with its timestamp in `unitNs`, when that takes no arithmetic: the line as written when
   * its request's precision is `unitNs`, with the time of arrival appended when it has no timestamp.
   * Undefined otherwise (the caller writes `head` and `time` itself).
   */
  lineIn(unitNs: bigint): string | undefined {
    const origin = this.origin;
    if (origin.unitNs !== unitNs) return undefined;
    if (this.stamped) return this.text;
    return origin.receivedStamp === undefined ? undefined : this.text + ' ' + origin.receivedStamp;
  }

  private stamp(): string {
    const piece = this.piece;
    let at = this.fieldsEnd;
    while (piece.charCodeAt(at) === 0x20) at++;
    return piece.slice(at, this.end);
  }

  private point(): Point {
    if (this.read === undefined) {
      const line = parseLineOrReason(this.text, this.origin.unitNs);
      // Made only for lines found valid: a reason here is a fault in daqd, not in the line.
      if (typeof line === 'string') throw new Error(`line protocol read differently: ${line}`);
      this.read = lineToPoint(line, this.origin.receivedAt);
    }
    return this.read;
  }
}
