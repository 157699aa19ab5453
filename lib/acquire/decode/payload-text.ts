import { DecodeError } from '../../core/errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A slot's payload as text; `DecodeError` naming the slot when it is not UTF-8. Pure. */
export function slotPayloadText(slot: string, payload: Buffer): string {
  try {
    return utf8.decode(payload);
  } catch (err) {
    throw new DecodeError(`slot '${slot}': payload is not valid UTF-8`, { cause: err });
  }
}
