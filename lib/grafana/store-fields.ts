import { LATEST_TIME } from '../acquire/sanitize/storage-address.js';
import type { Sink } from '../acquire/sink/sink.js';
import { type FieldCatalog, type FieldKind, fieldKind, isEventsMeasurement } from './field-catalog.js';

/** Newest rows read per measurement to tell the fields' types. */
const ROWS_FOR_TYPES = 10;

/**
 * Fills `catalog` with what the store holds: its databases (`Sink.databases`), their measurements and
 * field keys, and each field's kind from its newest values (the Sink answers field names without
 * types). A field without a value among the newest rows stays `unknown` (and is plotted).
 */
export async function readStoreFields(sink: Sink, catalog: FieldCatalog): Promise<void> {
  for (const database of await sink.databases()) {
    catalog.addDatabase(database);
    for (const measurement of await sink.measurements(database)) {
      if (isEventsMeasurement(measurement)) continue;
      const keys = (await sink.fieldKeys?.(database, measurement)) ?? [];
      if (keys.length === 0) continue;
      const kinds = await newestKinds(sink, database, measurement, keys);
      for (const key of keys) catalog.add(database, measurement, key, kinds.get(key) ?? 'unknown');
    }
  }
}

async function newestKinds(
  sink: Sink,
  database: string,
  measurement: string,
  keys: readonly string[],
): Promise<Map<string, FieldKind>> {
  const kinds = new Map<string, FieldKind>();
  const result = await sink.query({
    database,
    measurement,
    from: 0n,
    to: LATEST_TIME,
    include: keys,
    order: 'desc',
    limit: ROWS_FOR_TYPES,
  });
  let rows = 0;
  for await (const [, ...cells] of result.rows) {
    result.columns.forEach((column, i) => {
      const kind = fieldKind(cells[i]);
      if (kind !== 'unknown' && !kinds.has(column)) kinds.set(column, kind);
    });
    if (++rows >= ROWS_FOR_TYPES) break;
  }
  return kinds;
}
