const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/** Whether `c` may start a JSON number or literal (`-`, a digit, `t`, `f`, `n`). */
function startsScalar(c: number): boolean {
  return c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e;
}

/** Whether `c` ends a number or literal token. */
function endsToken(c: number): boolean {
  return (
    c === COMMA ||
    c === CLOSE_OBJECT ||
    c === CLOSE_ARRAY ||
    c === 0x20 ||
    c === 0x0a ||
    c === 0x0d ||
    c === 0x09
  );
}

/**
 * Whether some reading of a JSON text (or JSON lines) holds more than `max` values: a reading is an
 * object at the top level, or one inside a top-level array; its values are the scalars at any depth in
 * it — what flattening makes fields of (`null`s included). Reads the bytes once without building
 * anything, so a body of a 200,000-key object is refused in milliseconds instead of the seconds
 * `JSON.parse` and flattening take. Not a validator: malformed text is left to the parser. Pure.
 */
export function jsonReadingOver(bytes: Uint8Array, max: number): boolean {
  // Container kinds, innermost last: true = object.
  const objects: boolean[] = [];
  let inString = false;
  let escaped = false;
  let inToken = false;
  let expectKey = false;
  /** Depth (containers open) at which the current reading's object opened; 0: none open. */
  let readingDepth = 0;
  let count = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === BACKSLASH) escaped = true;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (inToken) {
      if (!endsToken(c)) continue;
      inToken = false;
    }
    const inObject = objects.length > 0 && objects[objects.length - 1] === true;
    switch (c) {
      case QUOTE:
        inString = true;
        if (!(inObject && expectKey) && readingDepth > 0 && ++count > max) return true;
        break;
      case OPEN_OBJECT:
        objects.push(true);
        expectKey = true;
        if (readingDepth === 0 && (objects.length === 1 || (objects.length === 2 && objects[0] === false))) {
          readingDepth = objects.length;
          count = 0;
        }
        break;
      case OPEN_ARRAY:
        objects.push(false);
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        if (objects.length === readingDepth) readingDepth = 0;
        objects.pop();
        expectKey = false;
        break;
      case COLON:
        expectKey = false;
        break;
      case COMMA:
        expectKey = inObject;
        break;
      default:
        if (startsScalar(c)) {
          inToken = true;
          if (readingDepth > 0 && ++count > max) return true;
        }
    }
  }
  return false;
}

/** Whether a payload's first byte that is not white space opens a JSON object or array. */
export function looksLikeJson(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === OPEN_OBJECT || c === OPEN_ARRAY;
  }
  return false;
}
