import { getUnsafeNumberReason, parse, UnsafeNumberReason } from 'lossless-json';
import { DecodeError } from '../../core/errors.js';

/**
 * A number literal with 16 or more digits (a `.` may sit between two of them). A double keeps every
 * decimal of at most 15 significant digits, so only a text with such a run can hold a number that
 * JSON.parse would round; digits in strings match too, which only costs the exact parse.
 */
const LONG_NUMBER = /\d(?:\.?\d){15}/;
const INTEGER = /^-?\d+$/;

/**
 * `JSON.parse` that keeps every digit of a number a double cannot hold, as the README promises
 * nanosecond timestamps: `{"timestamp": 1583810982123456789}` keeps `…789` (JSON.parse gives `…800`).
 * Pure; throws `SyntaxError` as JSON.parse does (with its message).
 *
 * - A number a double holds exactly (digit for digit) is a `number`, as JSON.parse gives it.
 * - An integer a double cannot hold is a `bigint`.
 * - Any other number a double would round (a fraction with more than ~16 significant digits, such as
 *   `1583810982.123456789`) is its literal text, a numeric string: the sanitize stage reads it as a
 *   number (data), or as a timestamp exactly. Beyond the range of a double it is ±Infinity or 0, as
 *   JSON.parse gives it.
 * - A key given twice keeps its last value, as JSON.parse does.
 *
 * Node 20's JSON.parse shows a reviver no source text, so the digits cannot be recovered after it has
 * run. Texts without a 16-digit run — nearly every sensor reading — go to JSON.parse, the fast path;
 * the rest to lossless-json's parser, which hands number literals over as text.
 */
export function parseJsonExact(text: string): unknown {
  if (!LONG_NUMBER.test(text)) return JSON.parse(text);
  try {
    return parse(text, null, { parseNumber: exactNumber, onDuplicateKey: ({ newValue }) => newValue });
  } catch (err) {
    // JSON.parse has the message users know (and that error placement reads); a text lossless-json
    // refuses but JSON.parse accepts has no case known to us, and would parse as JSON.parse reads it.
    JSON.parse(text);
    throw err;
  }
}

function exactNumber(literal: string): number | bigint | string {
  const reason = getUnsafeNumberReason(literal);
  if (
    reason === undefined ||
    reason === UnsafeNumberReason.overflow ||
    reason === UnsafeNumberReason.underflow
  ) {
    return Number(literal);
  }
  return INTEGER.test(literal) ? BigInt(literal) : literal;
}

/**
 * `parseJsonExact` for a payload: a text that is not JSON is a `DecodeError` saying
 * `<what> is not valid JSON: <JSON.parse's reason>` (`what` e.g. `slot 'data.json': payload`).
 */
export function parseJsonPayload(text: string, what: string): unknown {
  try {
    return parseJsonExact(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new DecodeError(`${what} is not valid JSON: ${detail}`, { cause: err });
  }
}
