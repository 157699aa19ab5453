import { DecodeError } from '../../core/errors.js';
import { wholeBody } from './body-readings.js';
import type { BodyDecoder } from './decoder.js';
import { parseLineProtocol } from './line-protocol.js';
import { bodyUtf8 } from './text-lines.js';

const NS_PER_MS = 1_000_000n;

/** Integer nanoseconds as RFC 3339 UTC with all nine fractional digits (exact, no magnitude guess). */
function nsToIso(ns: bigint): string {
  let ms = ns / NS_PER_MS;
  let rest = ns % NS_PER_MS;
  if (rest < 0n) {
    ms -= 1n;
    rest += NS_PER_MS;
  }
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 23)}${rest.toString().padStart(6, '0')}Z`;
}

/**
 * InfluxDB line protocol posted to a node's ordinary path (`POST /api/<realm>/<address>/data`,
 * `Content-Type: text/plain`): each line is one reading of that node — its tags and fields as the
 * reading's values, its timestamp (nanoseconds) as `time`. The node's address picks database and
 * measurement, so the line's measurement is not used; values are then sanitized like any reading
 * (numbers as floats, booleans as 1/0, tags named in the app's `tags` as tags). To keep measurement,
 * tags and types exactly, use InfluxDB's write API (`/write`, `http/influx-write.ts`).
 * Pure; a bad line is a `DecodeError` naming its line.
 */
export const lineProtocolDecoder: BodyDecoder = {
  name: 'line-protocol',
  takes: 'body',
  contentTypes: ['text/plain'],
  decodeBody: async (body) => {
    const text = bodyUtf8(body);
    if (text.trim() === '') throw new DecodeError('request body is empty');
    const { lines, problems } = parseLineProtocol(text, 1n);
    const first = problems[0];
    if (first !== undefined) throw new DecodeError(`line ${first.line}: ${first.message}`);
    if (lines.length === 0) throw new DecodeError('request body holds no line of line protocol');
    const readings = lines.map((line) => {
      const entries: [string, unknown][] = Object.entries(line.tags);
      for (const [key, field] of Object.entries(line.fields)) entries.push([key, field.value]);
      if (line.time !== undefined) entries.push(['time', nsToIso(line.time)]);
      // fromEntries defines own properties: a name like `__proto__` stays a name.
      return Object.fromEntries(entries);
    });
    return wholeBody({ readings, where: (index) => `reading ${index + 1}`, messages: [] });
  },
};
