import { DecodeError } from '../../core/errors.js';
import { appDecoding, readsLineProtocol } from './app-decoder.js';
import { csvLinesDecoder } from './csv-lines.js';
import type { CsvColumn } from './decoder.js';
import { BODY_CONTENT_TYPES, bodyDecoderFor } from './registry.js';

/** How a realm reads what it polls: its `csv_fields` or `decoder`, or else the answer's Content-Type. */
export interface PolledBodyApp {
  csv_fields?: readonly CsvColumn[] | undefined;
  decoder?: string | undefined;
}

/** The readings of one polled body, and the parts left out (CSV lines with another field count). */
export interface PolledReadings {
  readings: Record<string, unknown>[];
  skipped: string[];
}

/** Readings of one body at most: a log larger than this is refused, not stored in part. */
const MAX_READINGS = 1_000_000;

/**
 * Decodes the body of a polled URL (`source/poll.ts`) into readings, as the realm reads its messages:
 *
 * - `csv_fields = …`: headerless CSV lines (`csv-lines.ts`, an ISEMS node's `ffopenmppt.log`); a line
 *   with another field count is left out and named in `skipped`, the others are read;
 * - `decoder = <name>`: that decoder, as for an MQTT payload (`app-decoder.ts`);
 * - otherwise by the media type of `contentType`, through the body decoders of HTTP ingest (JSON, CSV
 *   with its header line, NDJSON, line protocol as `text/plain`).
 *
 * An empty body holds no readings (a node's new, empty log). Pure; throws `DecodeError` when nothing of
 * the body can be read.
 */
export async function decodePolledBody(
  body: Buffer,
  contentType: string | undefined,
  app: PolledBodyApp,
): Promise<PolledReadings> {
  if (body.toString('utf8').trim() === '') return { readings: [], skipped: [] };
  if (app.csv_fields !== undefined) {
    const decoded = csvLinesDecoder.decode(
      '',
      { kind: 'data', columns: app.csv_fields, field: 'body' },
      body,
    );
    return { readings: decoded.readings, skipped: [...(decoded.skipped ?? [])] };
  }
  if (app.decoder !== undefined && !readsLineProtocol(app.decoder)) {
    const decoding = appDecoding(app.decoder, '', 'body');
    if (decoding.kind === 'readings') {
      const decoded = decoding.decoder.decode('', decoding.match, body);
      return { readings: decoded.readings, skipped: [...(decoded.skipped ?? [])] };
    }
  }
  // `decoder = line-protocol` reads the body as line protocol whatever the node says it is.
  const mediaType = readsLineProtocol(app.decoder)
    ? 'text/plain'
    : (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const decoder = bodyDecoderFor(mediaType);
  if (decoder === undefined) {
    throw new DecodeError(
      `Content-Type '${mediaType || '(none)'}' is not one daqd reads (${BODY_CONTENT_TYPES.join(', ')}); ` +
        'set csv_fields or decoder in the app to say how the body is read',
    );
  }
  const decoded = await decoder.decodeBody(body, {});
  const readings: Record<string, unknown>[] = [];
  for await (const item of decoded.items()) {
    if (readings.length === MAX_READINGS)
      throw new DecodeError(`more than ${MAX_READINGS} readings in one body`);
    readings.push(item.reading);
  }
  return { readings, skipped: [] };
}
