/**
 * The quick reading of InfluxDB line protocol (see line-protocol.ts for the format): where the lines
 * of a body are, and a check of one line that builds nothing, for the form nearly every writer sends
 * (Telegraf, the client libraries): names without backslashes, float, integer and boolean values and
 * strings without escapes, a timestamp of digits. `quickCheckLine` only ever answers "valid, and read
 * by the full reader (`parseLineProtocol`) as written" or "ask the full reader", which then reads the
 * line and words its problem: a line it is unsure of costs the full reading, never a different answer
 * (test/acquire/decode/line-protocol-scan.test.ts compares the two over a corpus). Pure.
 */

const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Tags beyond this many are checked for duplicates by the full reader (pairwise here). */
const MAX_QUICK_TAGS = 16;
/** Digits of an integer (`…i`) that always fit in int64; longer ones are checked by the full reader. */
const MAX_QUICK_INTEGER_DIGITS = 18;
/** A plain decimal this long or shorter is a finite double (the largest has 309 integer digits). */
const MAX_QUICK_FLOAT_LENGTH = 300;
/**
 * Nanoseconds a quick-checked timestamp may reach: below InfluxDB's range (±(2⁶³ − 2)) by more than
 * the error of adding up its digits as a double, so the full reader decides only right at the edge.
 */
const QUICK_TIME_LIMIT = 9.2e18;

/** Whether a body needs `lineEnd`'s careful split (quotes or backslashes in it), or splits at every `\n`. */
export function needsCarefulSplit(text: string | Uint8Array): boolean {
  if (typeof text === 'string') return text.includes('"') || text.includes('\\');
  return text.includes(QUOTE) || text.includes(BACKSLASH);
}

/**
 * Bytes of a body decoded into one string at most (unless one line is longer): V8 puts longer strings
 * in its large-object space, where making one costs about as much as reading all its lines (measured:
 * 550 kB decoded at once took 200 times as long as in pieces of 64 kB).
 */
export const PIECE_BYTES = 60 * 1024;

/**
 * Where the piece of `bytes` that starts at `from` (the start of a line) ends: after the last line end
 * (as `lineEnd` finds them) within `PIECE_BYTES`, after the first one when a line is longer, or at the
 * end of the body. Splitting at a newline byte never splits a UTF-8 character.
 */
export function pieceEnd(bytes: Uint8Array, from: number, careful: boolean): number {
  const n = bytes.length;
  if (n - from <= PIECE_BYTES) return n;
  if (!careful) {
    const last = bytes.lastIndexOf(NEWLINE, from + PIECE_BYTES - 1);
    if (last >= from) return last + 1;
    const next = bytes.indexOf(NEWLINE, from + PIECE_BYTES);
    return next === -1 ? n : next + 1;
  }
  let end = from;
  for (let at = from; at < n; ) {
    const next = lineEnd(bytes, at, true) + 1;
    if (next - from > PIECE_BYTES && end > from) return end;
    end = Math.min(next, n);
    at = next;
  }
  return n;
}

/**
 * Where the line starting at `from` ends: at the next `\n` that is neither escaped by a backslash nor
 * inside a string field value (a quote opens one only in the field section, after the first unescaped
 * space of the line); `text.length` when none. `careful`: see `needsCarefulSplit` (without it, the
 * next `\n`).
 */
export function lineEnd(text: string | Uint8Array, from: number, careful: boolean): number {
  if (!careful) {
    const at = typeof text === 'string' ? text.indexOf('\n', from) : text.indexOf(NEWLINE, from);
    return at === -1 ? text.length : at;
  }
  return typeof text === 'string' ? carefulLineEnd(text, from) : carefulByteLineEnd(text, from);
}

// The same walk over text and over UTF-8 bytes (every character it looks for is ASCII, and no byte of
// a multi-byte UTF-8 character is).
function carefulLineEnd(text: string, from: number): number {
  let quoted = false;
  let spaces = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      i++;
      continue;
    }
    if (c === NEWLINE && !quoted) return i;
    if (c === SPACE && !quoted) spaces++;
    else if (c === QUOTE && spaces === 1) quoted = !quoted;
  }
  return text.length;
}

function carefulByteLineEnd(bytes: Uint8Array, from: number): number {
  let quoted = false;
  let spaces = 0;
  for (let i = from; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === BACKSLASH) {
      i++;
      continue;
    }
    if (c === NEWLINE && !quoted) return i;
    if (c === SPACE && !quoted) spaces++;
    else if (c === QUOTE && spaces === 1) quoted = !quoted;
  }
  return bytes.length;
}

/** Index after the blanks (space, tab) a line may start with. */
export function skipLeadingBlanks(text: string, from: number, end: number): number {
  let i = from;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i++;
  }
  return i;
}

/** End of the line without the blanks (space, tab, `\r`) it may end with. */
export function trimTrailingBlanks(text: string, from: number, end: number): number {
  let e = end;
  while (e > from) {
    const c = text.charCodeAt(e - 1);
    if (c !== SPACE && c !== TAB && c !== CR) break;
    e--;
  }
  return e;
}

/**
 * Checks the line `text[start, end)` (trimmed, not blank, not a comment) without building anything.
 * Returns the index where its fields end (its timestamp, if any, follows after spaces), or -1 when the
 * full reader has to read it: a backslash anywhere outside string values, a backslash in a string
 * value, a quote in a field key, an unsigned integer, an integer of more than 18 digits, a float with
 * an exponent, more than 16 tags, a timestamp near the edge of InfluxDB's range, and every bad line.
 * `unitNs`: nanoseconds per timestamp unit.
 */
export function quickCheckLine(text: string, start: number, end: number, unitNs: number): number {
  // Measurement: up to the first space or comma.
  let i = start;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === COMMA) break;
    if (c === BACKSLASH) return -1;
  }
  if (i === start || i === end) return -1;
  // Tags: `,key=value` up to the first space; no part empty, no `=` in a value.
  const tagsStart = i;
  let tagCount = 0;
  while (text.charCodeAt(i) === COMMA) {
    const keyStart = ++i;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === EQUALS) break;
      if (c === SPACE || c === COMMA || c === BACKSLASH) return -1;
    }
    if (i === keyStart || i === end) return -1;
    const valueStart = ++i;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === SPACE || c === COMMA) break;
      if (c === EQUALS || c === BACKSLASH) return -1;
    }
    if (i === valueStart || i === end) return -1;
    tagCount++;
  }
  if (tagCount > 1 && (tagCount > MAX_QUICK_TAGS || hasDuplicateTag(text, tagsStart, i))) return -1;
  // The measurement or the last tag ended at a space (the line goes on, it is trimmed).
  while (text.charCodeAt(i) === SPACE) i++;
  // Fields: `key=value` separated by commas.
  for (;;) {
    const keyStart = i;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === EQUALS) break;
      if (c === SPACE || c === COMMA || c === BACKSLASH || c === QUOTE) return -1;
    }
    if (i === keyStart || i === end) return -1;
    i++;
    if (text.charCodeAt(i) === QUOTE) {
      for (i++; i < end; i++) {
        const c = text.charCodeAt(i);
        if (c === QUOTE) break;
        if (c === BACKSLASH) return -1;
      }
      if (i === end) return -1;
      i++;
    } else {
      const valueStart = i;
      for (; i < end; i++) {
        const c = text.charCodeAt(i);
        if (c === SPACE || c === COMMA) break;
        if (c === BACKSLASH) return -1;
      }
      if (!isQuickValue(text, valueStart, i)) return -1;
    }
    if (i === end) return end;
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i++;
      continue;
    }
    if (c !== SPACE) return -1;
    break;
  }
  const fieldsEnd = i;
  while (text.charCodeAt(i) === SPACE) i++;
  return isQuickTimestamp(text, i, end, unitNs) ? fieldsEnd : -1;
}

/** True when two of the tags in `text[from, to)` (`,k=v,k=v…`, checked already) have the same key. */
function hasDuplicateTag(text: string, from: number, to: number): boolean {
  // Few tags: each key is compared with the keys before it, found again by scanning.
  for (let j = text.indexOf(',', from + 1); j !== -1 && j < to; j = text.indexOf(',', j + 1)) {
    const keyStart = j + 1;
    const length = text.indexOf('=', keyStart) - keyStart;
    for (let k = from; k < j; k = text.indexOf(',', k + 1)) {
      const otherLength = text.indexOf('=', k + 1) - (k + 1);
      if (otherLength === length && sameText(text, k + 1, keyStart, length)) return true;
    }
  }
  return false;
}

function sameText(text: string, a: number, b: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/**
 * A field value the full reader reads as a finite float (plain decimal, no exponent), an int64 (`…i`,
 * at most 18 digits) or a boolean.
 */
function isQuickValue(text: string, from: number, to: number): boolean {
  if (from === to) return false;
  const last = text.charCodeAt(to - 1);
  if (last === 0x69) {
    // Integer: -?\d+i
    let i = text.charCodeAt(from) === MINUS ? from + 1 : from;
    const digits = to - 1 - i;
    if (digits === 0 || digits > MAX_QUICK_INTEGER_DIGITS) return false;
    for (; i < to - 1; i++) if (!isDigit(text.charCodeAt(i))) return false;
    return true;
  }
  if (isDigit(last) || last === DOT) {
    // Float: -?(\d+\.?\d*|\.\d+), as many digits as a double holds.
    if (to - from > MAX_QUICK_FLOAT_LENGTH) return false;
    let i = text.charCodeAt(from) === MINUS ? from + 1 : from;
    let digits = 0;
    let dots = 0;
    for (; i < to; i++) {
      const c = text.charCodeAt(i);
      if (isDigit(c)) digits++;
      else if (c === DOT && dots === 0) dots++;
      else return false;
    }
    return digits > 0;
  }
  return isBoolean(text, from, to - from);
}

/** `t`, `T`, `true`, `True`, `TRUE`, `f`, `F`, `false`, `False`, `FALSE`. */
function isBoolean(text: string, from: number, length: number): boolean {
  const first = text.charCodeAt(from);
  if (length === 1) return first === 0x74 || first === 0x54 || first === 0x66 || first === 0x46;
  if (length === 4) {
    return text.startsWith('true', from) || text.startsWith('True', from) || text.startsWith('TRUE', from);
  }
  if (length === 5) {
    return text.startsWith('false', from) || text.startsWith('False', from) || text.startsWith('FALSE', from);
  }
  return false;
}

/** No timestamp, or `-?\d+` that is well inside InfluxDB's range in `unitNs`. */
function isQuickTimestamp(text: string, from: number, to: number, unitNs: number): boolean {
  if (from === to) return true;
  let i = text.charCodeAt(from) === MINUS ? from + 1 : from;
  if (i === to) return false;
  let value = 0;
  for (; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) return false;
    value = value * 10 + (c - ZERO);
  }
  return value * unitNs < QUICK_TIME_LIMIT;
}
