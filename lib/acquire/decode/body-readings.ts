import type { DecodedBody } from './decoder.js';

/** The readings of a body decoded whole (JSON, form), with where each came from. */
export interface BodyReadings {
  readings: Record<string, unknown>[];
  /** Where reading `index` is in the body: `item 3`, `line 7`. */
  where(index: number): string;
  /** Notes for the client, sent before `Received #N readings` (e.g. a CSV header taken). */
  messages: string[];
}

/** A body of one reading. */
export function singleReading(reading: Record<string, unknown>): BodyReadings {
  return { readings: [reading], where: () => 'the reading', messages: [] };
}

/** Readings decoded whole, read (as often as asked) from memory. */
export function wholeBody(body: BodyReadings): DecodedBody {
  return {
    items: async function* () {
      for (let i = 0; i < body.readings.length; i++) yield { reading: body.readings[i]!, line: i };
    },
    where: (index) => body.where(index),
    messages: body.messages,
    header: undefined,
  };
}
