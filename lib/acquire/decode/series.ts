/**
 * A reading that names its own measurement: a vendor that writes several series per document
 * (MySense: `info` from its metadata and `data` from its values, see `decode/mysense.ts`). The name is
 * kept under a symbol, so it is never read as a field; the database is still the topology's, and the
 * name is sanitized like every measurement (`sanitize/storage-address.ts`).
 */
export const SERIES: unique symbol = Symbol('daqd.series');

/** A reading that names its series. */
export type SeriesReading = Record<string, unknown> & { [SERIES]?: string };

/** `reading`, marked as a reading of series `name` (the object itself, which it changes). */
export function inSeries(reading: Record<string, unknown>, name: string): SeriesReading {
  Object.defineProperty(reading, SERIES, {
    value: name,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return reading;
}

/** The series a reading names, or undefined for an ordinary reading (the address's measurement). */
export function seriesOf(reading: Record<string, unknown>): string | undefined {
  const name = (reading as SeriesReading)[SERIES];
  return typeof name === 'string' ? name : undefined;
}
