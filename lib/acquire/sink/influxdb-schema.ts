import { StorageError } from '../../core/errors.js';
import { DATABASE_NOT_FOUND, type InfluxTransport } from './influxdb-transport.js';
import { schemaStatement, statementRows } from './influxql.js';

/** The field and tag keys of one measurement. */
export interface MeasurementKeys {
  fields: string[];
  tags: string[];
}

/** Field and tag keys of a measurement; undefined when the database does not exist. */
export async function readMeasurementKeys(
  transport: InfluxTransport,
  database: string,
  measurement: string,
): Promise<MeasurementKeys | undefined> {
  const what = `reading the keys of '${database}'.'${measurement}'`;
  const fields: string[] = [];
  const tags: string[] = [];
  for (const result of await transport.results(what, database, schemaStatement(measurement))) {
    if (result.error) {
      if (DATABASE_NOT_FOUND.test(result.error)) return undefined;
      throw new StorageError(`influxdb: ${what} failed: ${result.error}`, false);
    }
    // `schemaStatement` asks for the field keys first, the tag keys second.
    const target = result.statement_id === 1 ? tags : fields;
    for (const row of statementRows(result)) if (typeof row[0] === 'string') target.push(row[0]);
  }
  return { fields, tags };
}

/** The measurements of a database; none when the database does not exist. */
export async function readMeasurements(transport: InfluxTransport, database: string): Promise<string[]> {
  const what = `listing measurements of '${database}'`;
  const names: string[] = [];
  for (const result of await transport.results(what, database, 'SHOW MEASUREMENTS')) {
    if (result.error) {
      if (DATABASE_NOT_FOUND.test(result.error)) return [];
      throw new StorageError(`influxdb: ${what} failed: ${result.error}`, false);
    }
    for (const row of statementRows(result)) if (typeof row[0] === 'string') names.push(row[0]);
  }
  return names;
}

/** The names of the server's databases (`SHOW DATABASES`, `_internal` included). */
export async function readDatabases(transport: InfluxTransport): Promise<string[]> {
  const what = 'listing databases';
  const names: string[] = [];
  // Any database in the `db` parameter: InfluxDB 1.x answers SHOW DATABASES whatever it names.
  for (const result of await transport.results(what, '_internal', 'SHOW DATABASES')) {
    if (result.error) throw new StorageError(`influxdb: ${what} failed: ${result.error}`, false);
    for (const row of statementRows(result)) if (typeof row[0] === 'string') names.push(row[0]);
  }
  return names;
}
