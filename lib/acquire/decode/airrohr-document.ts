import { airrohrDocumentReading } from './airrohr.js';
import type { DocumentDecoder } from './decoder.js';

/** The device keys every airrohr upload carries beside `sensordatavalues`. */
const DEVICE_KEYS = ['esp8266id', 'software_version'];

/**
 * An airrohr (Sensor.Community) upload posted to a node's ordinary `…/data` path or published on
 * `…/data.json` — as Kotori's `luftdaten` realm takes the stations' data (`etc/examples/vendors/luftdaten.ini`
 * routes only `…/data` and `…/event`), and as the firmware's »own API« sends it to any path. Recognised by
 * its shape: `sensordatavalues` beside `esp8266id` or `software_version`. Decoded as on airrohr's own slot
 * (`decode/airrohr.ts`): a field per `value_type`, the device id and firmware version not stored. Kotori
 * would store such a document as its raw, flattened keys; a malformed one (`sensordatavalues` not a list of
 * `{value_type, value}`) is refused here, naming the part, never stored as such junk.
 */
export const airrohrDocumentDecoder: DocumentDecoder = {
  name: 'airrohr-document',
  takes: 'document',
  recognises: (document) =>
    Object.hasOwn(document, 'sensordatavalues') && DEVICE_KEYS.some((key) => Object.hasOwn(document, key)),
  decodeDocument: (document) => airrohrDocumentReading(document, 'airrohr upload'),
};
