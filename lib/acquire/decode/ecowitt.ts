import { DecodeError } from '../../core/errors.js';
import type { SlotDecoder } from './decoder.js';
import { removePasskey } from './ecowitt-passkey.js';
import { slotPayloadText } from './payload-text.js';

/** Where a payload came from, in messages: the slot, or the body of a request. */
function where(slot: string): string {
  return slot === '' ? 'Ecowitt upload' : `slot '${slot}': Ecowitt upload`;
}

/**
 * An Ecowitt station's upload (»Customized« upload, protocol Ecowitt): the form fields it POSTs,
 * `PASSKEY=…&stationtype=EasyWeatherPro_V5.0.6&dateutc=2023-02-20+16:02:19&tempf=48.4&humidity=80&…`.
 * One reading, a field per name as the station names it (`tempf`, `baromrelin`, `soilmoisture1`, …);
 * numeric text becomes a number in the next stage, other text (`model`, `stationtype`, `freq`,
 * `dateutc`) stays text, and `PASSKEY` is never stored — as Kotori stores it (Kotori does not read
 * `dateutc` as the time: the reading gets the receive time). The first value of a repeated name counts;
 * an empty value is no value. Pure; throws `DecodeError` naming the problem: a part that is not
 * `name=value`, JSON instead of form fields, nothing but the PASSKEY.
 *
 * Over HTTP Ecowitt's form body is read by its Content-Type anyway (`form`, with the PASSKEY dropped by
 * every body decoder); `decoder = ecowitt` reads every MQTT payload, and every body posted to the app,
 * this way whatever its Content-Type.
 */
export function ecowittReading(slot: string, payload: Buffer): Record<string, unknown> {
  const text = slotPayloadText(slot, payload).trim();
  if (text === '') throw new DecodeError(`${where(slot)} is empty`);
  if (text.startsWith('{') || text.startsWith('[')) {
    throw new DecodeError(`${where(slot)} is JSON, not form fields (name=value&…)`);
  }
  text.split('&').forEach((part, index) => {
    if (part === '') return;
    const eq = part.indexOf('=');
    if (eq < 0) {
      throw new DecodeError(`${where(slot)}: part ${index + 1} '${part.slice(0, 40)}' is not name=value`);
    }
    if (eq === 0) throw new DecodeError(`${where(slot)}: part ${index + 1} has no name`);
  });
  // URLSearchParams decodes `+` and percent escapes as browsers and stations encode them.
  const entries = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (value === '' || entries.has(name)) continue;
    entries.set(name, value);
  }
  // fromEntries defines own properties: a name like `__proto__` stays a name.
  const reading = removePasskey(Object.fromEntries(entries));
  if (Object.keys(reading).length === 0) {
    throw new DecodeError(`${where(slot)} holds no field with a value besides the PASSKEY`);
  }
  return reading;
}

/**
 * Ecowitt uploads (see `ecowittReading`). It takes no slot by name (Kotori has none for Ecowitt: its
 * stations post to `…/data`): an app chooses it with `decoder = ecowitt`.
 */
export const ecowittDecoder: SlotDecoder = {
  name: 'ecowitt',
  takes: 'slot',
  slots: [],
  takesBodies: true,
  matchSlot: () => undefined,
  decode: (slot, match, payload) => ({ kind: match.kind, readings: [ecowittReading(slot, payload)] }),
};
