import { DecodeError } from '../../core/errors.js';
import { jsonErrorOffset } from './json-error-offset.js';
import { parseJsonExact } from './json-exact.js';

/**
 * `parseJsonExact` (long numbers keep their digits) for a request body or one of its lines, a
 * `DecodeError` placing the fault as line and column (`what` is `request body` or `line 7`).
 */
export function parseJsonPlaced(text: string, what: string): unknown {
  try {
    return parseJsonExact(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = jsonErrorOffset(text);
    let place = '';
    if (at !== undefined) {
      const before = text.slice(0, at);
      const line = before.split('\n').length;
      const column = at - before.lastIndexOf('\n');
      place = what === 'request body' ? ` at line ${line}, column ${column}` : ` at column ${column}`;
    }
    // V8's message quotes the input; the place says enough and keeps the answer short.
    const reason = message.length > 120 ? `${message.slice(0, 120)}…` : message;
    throw new DecodeError(`${what} is not valid JSON${place}: ${reason}`);
  }
}
