import { DecodeError } from '../../core/errors.js';
import type { BodyReadings } from './body-readings.js';
import type { BodyDecoder, BodyItem } from './decoder.js';
import { removePasskey } from './ecowitt-passkey.js';
import { parseJsonPlaced } from './json-placed.js';
import { describeJson, isJsonObject } from './json-shape.js';
import { type BodyLine, linesOfBody } from './text-lines.js';

/**
 * `application/x-ndjson`: one JSON object per line, yielded while the body arrives; blank lines are
 * skipped. `DecodeError` naming the line for a line that is not a JSON object, and for a body without one.
 */
export async function* ndjsonItems(lines: AsyncIterable<BodyLine>): AsyncGenerator<BodyItem> {
  let any = false;
  for await (const line of lines) {
    if (line.text.trim() === '') continue;
    const value = parseJsonPlaced(line.text, `line ${line.number}`);
    if (!isJsonObject(value))
      throw new DecodeError(`line ${line.number} is ${describeJson(value)}, not a JSON object`);
    any = true;
    yield { reading: removePasskey(value), line: line.number };
  }
  if (!any) throw new DecodeError('request body is empty');
}

/** `application/x-ndjson` as a whole (see `ndjsonItems`). */
export async function ndjsonReadings(lines: AsyncIterable<BodyLine>): Promise<BodyReadings> {
  const readings: Record<string, unknown>[] = [];
  const numbers: number[] = [];
  for await (const item of ndjsonItems(lines)) {
    readings.push(item.reading);
    numbers.push(item.line);
  }
  return { readings, where: (index) => `line ${numbers[index] ?? '?'}`, messages: [] };
}

/** NDJSON bodies (see `ndjsonItems`): kept as bytes, parsed line by line on each read. */
export const ndjsonDecoder: BodyDecoder = {
  name: 'ndjson',
  takes: 'body',
  contentTypes: [
    'application/x-ndjson',
    'application/ndjson',
    'application/jsonl',
    'application/x-jsonlines',
  ],
  decodeBody: async (body) => ({
    items: () => ndjsonItems(linesOfBody(body)),
    where: (line) => `line ${line}`,
    messages: [],
    header: undefined,
  }),
};
