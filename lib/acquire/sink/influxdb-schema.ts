import { StorageError } from '../../core/errors.js';
import { DATABASE_NOT_FOUND, type InfluxTransport } from './influxdb-transport.js';
import { schemaStatement, statementRows } from './influxql.js';

/** The field and tag keys of one measurement. */
export interface MeasurementKeys {
  fields: string[];
  tags: string[];
  /** The type of each field (`float`, `integer`, `string`, `boolean`, `unsigned`). */
  fieldTypes: Map<string, string>;
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
  const fieldTypes = new Map<string, string>();
  for (const result of await transport.results(what, database, schemaStatement(measurement))) {
    if (result.error) {
      if (DATABASE_NOT_FOUND.test(result.error)) return undefined;
      throw new StorageError(`influxdb: ${what} failed: ${result.error}`, false);
    }
    // `schemaStatement` asks for the field keys first, the tag keys second.
    const target = result.statement_id === 1 ? tags : fields;
    for (const row of statementRows(result)) {
      if (typeof row[0] !== 'string') continue;
      target.push(row[0]);
      if (target === fields && typeof row[1] === 'string') fieldTypes.set(row[0], row[1]);
    }
  }
  return { fields, tags, fieldTypes };
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

/** The databases of the server, InfluxDB's own `_internal` left out. */
export async function readDatabases(transport: InfluxTransport): Promise<string[]> {
  const what = 'listing databases';
  const names: string[] = [];
  for (const result of await transport.results(what, undefined, 'SHOW DATABASES')) {
    if (result.error) throw new StorageError(`influxdb: ${what} failed: ${result.error}`, false);
    for (const row of statementRows(result)) {
      if (typeof row[0] === 'string' && row[0] !== '_internal') names.push(row[0]);
    }
  }
  return names.sort();
}
