import { type RealmSeries, type RealmStorage, realmToStorage } from '../acquire/sanitize/storage-address.js';
import type { Sink } from '../acquire/sink/sink.js';
import type { RealmApp } from '../config/settings.js';
import { DecodeError, NotFoundError } from '../core/errors.js';

/** Databases asked for their measurements in parallel. */
const PARALLEL = 8;

/**
 * Every series of readings a realm has stored (see `realmToStorage`: its databases, one series per
 * node's data measurement), sorted by database and measurement. A database template that cannot tell
 * the realm's databases is a `NotFoundError`. `others`: the other running realms' apps, whose databases
 * are left out.
 */
export async function realmSeries(
  sink: Sink,
  app: RealmApp,
  others: readonly RealmApp[] = [],
): Promise<RealmSeries[]> {
  let storage: RealmStorage;
  try {
    storage = storageOf(app);
  } catch (err) {
    if (err instanceof DecodeError) throw new NotFoundError(`realm '${app.realm}': ${err.message}`);
    throw err;
  }
  // Kotori's names do not tell `a` + network `b_c` from `a_b` + network `c`: a database another running
  // realm names more closely (its prefix is longer) is that realm's.
  const closer: RealmStorage[] = [];
  for (const other of others) {
    if (other.realm === app.realm) continue;
    try {
      const theirs = storageOf(other);
      if (theirs.prefix.length > storage.prefix.length && theirs.prefix.startsWith(storage.prefix)) {
        closer.push(theirs);
      }
    } catch {
      // A realm whose databases cannot be told claims none.
    }
  }
  const databases = (await sink.databases()).filter(
    (database) => storage.holds(database) && !closer.some((theirs) => theirs.holds(database)),
  );
  const series: RealmSeries[] = [];
  for (let at = 0; at < databases.length; at += PARALLEL) {
    const batch = databases.slice(at, at + PARALLEL);
    const lists = await Promise.all(batch.map((database) => sink.measurements(database)));
    batch.forEach((database, i) => {
      for (const measurement of lists[i] ?? []) {
        const one = storage.seriesOf(database, measurement);
        if (one !== undefined) series.push(one);
      }
    });
  }
  return series;
}

function storageOf(app: RealmApp): RealmStorage {
  return realmToStorage(app.realm, { database: app.database, measurement: app.measurement });
}
