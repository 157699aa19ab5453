import { errorMessage } from '../../core/errors.js';
import type { Point } from '../../core/point.js';
import { parseLineOrReason } from '../decode/line-protocol.js';
import {
  lineEnd,
  needsCarefulSplit,
  pieceEnd,
  quickCheckLine,
  skipLeadingBlanks,
  trimTrailingBlanks,
} from '../decode/line-protocol-scan.js';
import { type LineOrigin, LinePoint } from './line-point.js';
import { lineToPoint } from './line-points.js';
import { LineTimeSpan } from './line-time-span.js';

/** The points of a line-protocol body, and what could not be taken, in InfluxDB's words. */
export interface LineBodyPoints {
  points: Point[];
  /**
   * One message per line not taken: first the lines that cannot be read
   * (`unable to parse '<line>': <reason>`), then those no store can take
   * (`unable to parse '<measurement>': <reason>`, see `lineToPoint`).
   */
  problems: string[];
}

const HASH = 0x23;

/**
 * Decode and sanitize for a line-protocol body (InfluxDB's write API): every valid line as a
 * `LinePoint`, every other line as a problem, exactly as `parseLineProtocol` and `lineToPoint` read and
 * judge them. A line in the plain form (`quickCheckLine`) is taken as it is, without being parsed;
 * any other line is read by the full reader. Sets `origin.timeSpan`. Pure.
 */
export function lineBodyToPoints(body: Buffer, origin: LineOrigin): LineBodyPoints {
  const careful = needsCarefulSplit(body);
  const out: LineBodyParts = { points: [], unreadable: [], refused: [], times: new LineTimeSpan() };
  // Read in pieces of whole lines: see PIECE_BYTES.
  for (let at = 0; at < body.length; ) {
    const end = pieceEnd(body, at, careful);
    // Invalid UTF-8 becomes U+FFFD (InfluxDB would take any bytes; daqd's stores keep text).
    readPiece(body.toString('utf8', at, end), careful, origin, out);
    at = end;
  }
  const { points, unreadable, refused } = out;
  origin.timeSpan = out.times.span(origin.unitNs);
  return { points, problems: unreadable.length === 0 ? refused : unreadable.concat(refused) };
}

interface LineBodyParts {
  points: Point[];
  unreadable: string[];
  refused: string[];
  /** Of the points taken. */
  times: LineTimeSpan;
}

function readPiece(text: string, careful: boolean, origin: LineOrigin, out: LineBodyParts): void {
  const unit = Number(origin.unitNs);
  const { points, unreadable, refused, times } = out;
  for (let from = 0; from < text.length; ) {
    const to = lineEnd(text, from, careful);
    const start = skipLeadingBlanks(text, from, to);
    const end = trimTrailingBlanks(text, start, to);
    if (end > start && text.charCodeAt(start) !== HASH) {
      const fieldsEnd = quickCheckLine(text, start, end, unit);
      if (fieldsEnd !== -1) {
        points.push(new LinePoint(text, start, end, fieldsEnd, origin));
        let stamp = fieldsEnd;
        while (text.charCodeAt(stamp) === 0x20) stamp++;
        if (stamp < end) times.addDigits(text, stamp, end);
        else times.addNs(origin.receivedAt);
      } else {
        const line = text.slice(start, end);
        const read = parseLineOrReason(line, origin.unitNs);
        if (typeof read === 'string') unreadable.push(`unable to parse '${text.slice(from, to)}': ${read}`);
        else {
          try {
            const point = lineToPoint(read, origin.receivedAt);
            points.push(new LinePoint(text, start, end, start + fieldsEndOf(line, read.time), origin, point));
            times.addNs(point.time);
          } catch (err) {
            refused.push(`unable to parse '${read.measurement}': ${errorMessage(err)}`);
          }
        }
      }
    }
    from = to + 1;
  }
}

/** Where the fields of a line read by the full reader end: before its timestamp (`-?\d+`) and the spaces before it. */
function fieldsEndOf(line: string, time: bigint | undefined): number {
  if (time === undefined) return line.length;
  let at = line.length;
  while (at > 0 && isDigit(line.charCodeAt(at - 1))) at--;
  if (line.charCodeAt(at - 1) === 0x2d) at--;
  while (line.charCodeAt(at - 1) === 0x20) at--;
  return at;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
