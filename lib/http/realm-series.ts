import { type RealmSeries, realmToStorage } from '../acquire/sanitize/storage-address.js';
import type { Sink } from '../acquire/sink/sink.js';
import type { RealmApp } from '../config/settings.js';
import { DecodeError, NotFoundError } from '../core/errors.js';

/** Databases asked for their measurements in parallel. */
const PARALLEL = 8;

/**
 * Every series of readings a realm has stored (see `realmToStorage`: its databases, one series per
 * node's data measurement), sorted by database and measurement. A database template that cannot tell
 * the realm's databases is a `QueryError`.
 */
export async function realmSeries(sink: Sink, app: RealmApp): Promise<RealmSeries[]> {
  let storage: ReturnType<typeof realmToStorage>;
  try {
    storage = realmToStorage(app.realm, { database: app.database, measurement: app.measurement });
  } catch (err) {
    if (err instanceof DecodeError) throw new NotFoundError(`realm '${app.realm}': ${err.message}`);
    throw err;
  }
  const databases = (await sink.databases()).filter((database) => storage.holds(database));
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
