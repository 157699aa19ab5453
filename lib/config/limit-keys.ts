import { splitList } from './ini-file.js';
import type { SectionReader } from './section-reader.js';

/** Default `max_fields_per_reading`: far above any sensor, far below what costs seconds of CPU. */
export const DEFAULT_MAX_FIELDS_PER_READING = 1000;

/**
 * What a realm lets a sender create: which networks and nodes it may address, and how many databases and
 * fields. Checked before anything is stored (`acquire/sanitize/realm-limits.ts` for the addresses and
 * the fields of a reading, `acquire/deliver/store-catalog.ts` for databases and fields in the store).
 */
export interface RealmLimits {
  /**
   * `allowed_networks = testdrive, lab-*`: the networks any address of the realm may name, as patterns
   * (`*` any run of characters, `?` one; matched whole, case-sensitive). Generalises Kotori's
   * `direct_channel_allowed_networks`, which restricts only the `channel/<net>-<gw>-<node>` form.
   * Addresses without a network (basic, a template without `{network}`) are not affected. Unset = any.
   */
  allowed_networks?: readonly string[] | undefined;
  /** `allowed_nodes = node-*`: the nodes any address may name, patterns as above. Unset = any. */
  allowed_nodes?: readonly string[] | undefined;
  /** Databases of the realm (in the store, by daqd's naming) at most; a reading for a new one past it is refused. Unset = any. */
  max_databases?: number | undefined;
  /** Fields of one measurement at most; a reading bringing a new field past it is refused. Unset = any. */
  max_fields_per_measurement?: number | undefined;
  /**
   * Fields (after flattening, `null` ones included) one reading may have. Default
   * `DEFAULT_MAX_FIELDS_PER_READING` (set by the reader; absent in apps built by hand means the same).
   */
  max_fields_per_reading?: number | undefined;
}

/** Reads the limit keys of an app section; a bad value is a problem of that key. */
export function readLimitKeys(reader: SectionReader): RealmLimits {
  const patterns = (key: string): readonly string[] | undefined => {
    const raw = reader.string(key);
    if (raw === undefined) return undefined;
    const list = splitList(raw);
    if (list.length === 0) reader.problem(key, 'lists no pattern (leave the key out to allow any)');
    for (const pattern of list) {
      if (/[/+#]/.test(pattern))
        reader.problem(key, `'${pattern}': a pattern may not contain '/', '+' or '#'`);
    }
    return list;
  };
  const optionalCount = (key: string): number | undefined =>
    reader.has(key) ? reader.integer(key, 0, { min: 1 }) : undefined;
  return {
    allowed_networks: patterns('allowed_networks'),
    allowed_nodes: patterns('allowed_nodes'),
    max_databases: optionalCount('max_databases'),
    max_fields_per_measurement: optionalCount('max_fields_per_measurement'),
    max_fields_per_reading: reader.integer('max_fields_per_reading', DEFAULT_MAX_FIELDS_PER_READING, {
      min: 1,
    }),
  };
}
