import type { RealmLimits } from '../../config/limit-keys.js';
import { LimitError } from '../../core/errors.js';
import type { Point } from '../../core/point.js';
import type { Sink } from '../sink/sink.js';

/** What a realm's limits are checked against: its name, limits, and which databases are its own. */
export interface CatalogRealm extends Pick<RealmLimits, 'max_databases' | 'max_fields_per_measurement'> {
  realm: string;
  /** Whether a database of the store counts as one of the realm's (see `realmDatabaseFilter`). */
  ownsDatabase: (database: string) => boolean;
}

/**
 * What the store holds, as far as the realms' limits need it: the names of its databases and the field
 * keys of each measurement written to. Asked of the store once (databases at the first check, a
 * measurement's fields the first time it is written to), then kept up to date as points are admitted,
 * so a check costs no query. Databases or fields removed from the store behind daqd's back still count
 * until a restart.
 *
 * `admit` reserves before the write: two messages racing for the last free database do not both get it.
 * A write that then fails keeps its reservation (the data is in the spool or the dead letters and will
 * be written).
 */
export class StoreCatalog {
  private databases: Promise<Set<string>> | undefined;
  private readonly fields = new Map<string, Promise<Set<string>>>();

  constructor(private readonly ctx: { sink: Pick<Sink, 'databases' | 'fieldKeys'> }) {}

  /**
   * Checks points for `database` against the realm's `max_databases` and `max_fields_per_measurement`
   * and reserves what they create; throws `LimitError` (403), reserving nothing, when one is exceeded.
   * Resolves at once for a realm without those limits.
   */
  async admit(realm: CatalogRealm, database: string, points: readonly Point[]): Promise<void> {
    const maxFields = realm.max_fields_per_measurement;
    const maxDatabases = realm.max_databases;
    if (maxFields === undefined && maxDatabases === undefined) return;
    const databases = await this.databaseSet();
    const measured: [string, Set<string>, Set<string>][] = [];
    if (maxFields !== undefined) {
      const isNew = !databases.has(database);
      for (const [measurement, names] of fieldsByMeasurement(points)) {
        measured.push([measurement, names, await this.fieldSet(database, measurement, isNew)]);
      }
    }
    // From here on nothing awaits: the checks and the reservations see the same state.
    if (!databases.has(database) && maxDatabases !== undefined) {
      let count = 0;
      for (const name of databases) if (realm.ownsDatabase(name)) count++;
      if (count >= maxDatabases) {
        throw new LimitError(
          `realm '${realm.realm}': database '${database}' would be one more than max_databases (${maxDatabases})`,
        );
      }
    }
    const additions: [Set<string>, string[]][] = [];
    for (const [measurement, names, known] of measured) {
      const added = [...names].filter((name) => !known.has(name));
      if (maxFields !== undefined && known.size + added.length > maxFields) {
        throw new LimitError(
          `realm '${realm.realm}': measurement '${measurement}' of '${database}' would have ` +
            `${known.size + added.length} fields, more than max_fields_per_measurement (${maxFields})`,
        );
      }
      additions.push([known, added]);
    }
    databases.add(database);
    for (const [known, added] of additions) for (const name of added) known.add(name);
  }

  private databaseSet(): Promise<Set<string>> {
    if (this.databases === undefined) {
      const { sink } = this.ctx;
      const asked = sink.databases();
      this.databases = asked.then((names) => new Set(names));
      // A failed ask (store down) is asked again next time.
      this.databases.catch(() => {
        this.databases = undefined;
      });
    }
    return this.databases;
  }

  private fieldSet(database: string, measurement: string, newDatabase: boolean): Promise<Set<string>> {
    const key = `${database}\u0000${measurement}`;
    let set = this.fields.get(key);
    if (set === undefined) {
      const { sink } = this.ctx;
      const asked =
        newDatabase || sink.fieldKeys === undefined
          ? Promise.resolve([])
          : sink.fieldKeys(database, measurement);
      set = asked.then((names) => new Set(names));
      this.fields.set(key, set);
      set.catch(() => this.fields.delete(key));
    }
    return set;
  }
}

/** The field names of the points, per measurement. */
function fieldsByMeasurement(points: readonly Point[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const point of points) {
    let names = out.get(point.measurement);
    if (names === undefined) {
      names = new Set();
      out.set(point.measurement, names);
    }
    for (const name in point.fields) names.add(name);
  }
  return out;
}
