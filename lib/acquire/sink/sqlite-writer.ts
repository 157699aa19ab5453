import type Database from 'better-sqlite3';
import type { FieldValue, Point } from '../../core/point.js';

type Db = Database.Database;
type FieldType = 'float' | 'integer' | 'string' | 'boolean';

/** The range of SQLite's INTEGER, and so of the times the embedded store keeps. */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
/** Points per INSERT statement: fewer calls into SQLite (about a third faster than one by one). */
const POINTS_PER_STATEMENT = 64;

/** The write side of one database file: cached statements, ids and field types. */
export class SqliteWriter {
  private readonly insertPoint: Database.Statement;
  private readonly insertPoints: Database.Statement;
  /** Parameters of points waiting to go in with `insertPoints`. */
  private readonly pending: unknown[] = [];
  private readonly findMeasurement: Database.Statement;
  private readonly insertMeasurement: Database.Statement;
  private readonly findSeries: Database.Statement;
  private readonly insertSeries: Database.Statement;
  private readonly selectFieldKeys: Database.Statement;
  private readonly insertFieldKey: Database.Statement;
  private readonly selectTagKeys: Database.Statement;
  private readonly insertTagKey: Database.Statement;
  private readonly transaction: (points: readonly Point[], rejected: string[]) => void;
  private measurementIds = new Map<string, number>();
  private seriesIds = new Map<string, number>();
  private fieldTypes = new Map<number, Map<string, FieldType>>();
  private tagKeys = new Map<number, Set<string>>();

  constructor(readonly db: Db) {
    const upsert = (rows: number) =>
      db.prepare(
        `INSERT INTO points (measurement_id, time, series_id, fields) VALUES ${Array(rows).fill('(?, ?, ?, ?)').join(', ')} ` +
          // Rows of one statement are inserted in order, so a repeated key merges into the row before it.
          'ON CONFLICT DO UPDATE SET fields = json_patch(fields, excluded.fields)',
      );
    this.insertPoint = upsert(1);
    this.insertPoints = upsert(POINTS_PER_STATEMENT);
    this.findMeasurement = db.prepare('SELECT id FROM measurements WHERE name = ?').pluck();
    this.insertMeasurement = db.prepare('INSERT INTO measurements (name) VALUES (?)');
    this.findSeries = db.prepare('SELECT id FROM series WHERE measurement_id = ? AND tags = ?').pluck();
    this.insertSeries = db.prepare('INSERT INTO series (measurement_id, tags) VALUES (?, ?)');
    this.selectFieldKeys = db.prepare('SELECT key, type FROM field_keys WHERE measurement_id = ?').raw();
    this.insertFieldKey = db.prepare('INSERT INTO field_keys (measurement_id, key, type) VALUES (?, ?, ?)');
    this.selectTagKeys = db.prepare('SELECT key FROM tag_keys WHERE measurement_id = ?').pluck();
    this.insertTagKey = db.prepare('INSERT INTO tag_keys (measurement_id, key) VALUES (?, ?)');
    this.transaction = db.transaction((points: readonly Point[], rejected: string[]) => {
      this.pending.length = 0;
      for (const point of points) {
        const reason = this.writePoint(point);
        if (reason !== undefined) rejected.push(reason);
      }
      for (let i = 0; i < this.pending.length; i += 4) this.insertPoint.run(this.pending.slice(i, i + 4));
      this.pending.length = 0;
    });
  }

  /** Writes a batch in one transaction; returns why each rejected point was rejected. */
  writeBatch(points: readonly Point[]): string[] {
    const rejected: string[] = [];
    this.transaction(points, rejected);
    return rejected;
  }

  resetCaches(): void {
    this.pending.length = 0;
    this.measurementIds = new Map();
    this.seriesIds = new Map();
    this.fieldTypes = new Map();
    this.tagKeys = new Map();
  }

  /** Stores one point, or returns why it cannot be stored (nothing written then). */
  private writePoint(point: Point): string | undefined {
    const invalid = pointProblem(point);
    if (invalid !== undefined) return invalid;
    const measurementId = this.measurementId(point.measurement);
    const types = this.fieldTypesOf(measurementId);
    const fieldKeys = Object.keys(point.fields);
    for (const key of fieldKeys) {
      const known = types.get(key);
      const type = fieldType(point.fields[key]!);
      if (known !== undefined && known !== type) {
        // InfluxDB 1.x wording, so operators recognise it.
        return `field type conflict: input field "${key}" on measurement "${point.measurement}" is type ${type}, already exists as type ${known}`;
      }
    }
    for (const key of fieldKeys) {
      if (types.has(key)) continue;
      const type = fieldType(point.fields[key]!);
      this.insertFieldKey.run(measurementId, key, type);
      types.set(key, type);
    }
    const tags = canonicalTags(point.tags);
    const seriesId = this.seriesId(measurementId, tags);
    this.pending.push(measurementId, point.time, seriesId, fieldsJson(point.fields));
    if (this.pending.length === POINTS_PER_STATEMENT * 4) {
      this.insertPoints.run(this.pending);
      this.pending.length = 0;
    }
    return undefined;
  }

  private measurementId(name: string): number {
    let id = this.measurementIds.get(name);
    if (id === undefined) {
      id = this.findMeasurement.get(name) as number | undefined;
      if (id === undefined) id = Number(this.insertMeasurement.run(name).lastInsertRowid);
      this.measurementIds.set(name, id);
    }
    return id;
  }

  private fieldTypesOf(measurementId: number): Map<string, FieldType> {
    let types = this.fieldTypes.get(measurementId);
    if (types === undefined) {
      types = new Map(this.selectFieldKeys.all(measurementId) as [string, FieldType][]);
      this.fieldTypes.set(measurementId, types);
    }
    return types;
  }

  private seriesId(measurementId: number, tags: { json: string; keys: string[] }): number {
    const cacheKey = `${measurementId}\u0000${tags.json}`;
    let id = this.seriesIds.get(cacheKey);
    if (id !== undefined) return id;
    id = this.findSeries.get(measurementId, tags.json) as number | undefined;
    if (id === undefined) {
      id = Number(this.insertSeries.run(measurementId, tags.json).lastInsertRowid);
      let known = this.tagKeys.get(measurementId);
      if (known === undefined) {
        known = new Set(this.selectTagKeys.all(measurementId) as string[]);
        this.tagKeys.set(measurementId, known);
      }
      for (const key of tags.keys) {
        if (known.has(key)) continue;
        this.insertTagKey.run(measurementId, key);
        known.add(key);
      }
    }
    this.seriesIds.set(cacheKey, id);
    return id;
  }
}

function pointProblem(point: Point): string | undefined {
  if (typeof point.measurement !== 'string' || point.measurement.length === 0)
    return 'empty measurement name';
  if (typeof point.time !== 'bigint' || point.time < INT64_MIN || point.time > INT64_MAX) {
    return `measurement "${point.measurement}": time out of range`;
  }
  const keys = Object.keys(point.fields);
  if (keys.length === 0) return `measurement "${point.measurement}": point has no fields`;
  for (const key of keys) {
    const value = point.fields[key];
    if (key.length === 0) return `measurement "${point.measurement}": empty field name`;
    if (
      typeof value === 'number'
        ? !Number.isFinite(value)
        : typeof value !== 'string' && typeof value !== 'boolean' && typeof value !== 'bigint'
    ) {
      return `measurement "${point.measurement}": field "${key}" has an invalid value (${String(value)})`;
    }
  }
  for (const [key, value] of Object.entries(point.tags)) {
    if (key.length === 0 || typeof value !== 'string')
      return `measurement "${point.measurement}": invalid tag "${key}"`;
  }
  return undefined;
}

/**
 * The fields as a JSON object. An integer (`bigint`) is written as a JSON number with all its digits;
 * it reads back as a number (exact up to 2^53, as InfluxDB's JSON answers carry integers).
 */
function fieldsJson(fields: Readonly<Record<string, FieldValue>>): string {
  let integers = false;
  for (const key in fields) if (typeof fields[key] === 'bigint') integers = true;
  if (!integers) return JSON.stringify(fields);
  let out = '';
  for (const key in fields) {
    const value = fields[key]!;
    out += `${out === '' ? '' : ','}${JSON.stringify(key)}:${typeof value === 'bigint' ? value.toString() : JSON.stringify(value)}`;
  }
  return `{${out}}`;
}

function fieldType(value: FieldValue): FieldType {
  if (typeof value === 'bigint') return 'integer';
  return typeof value === 'number' ? 'float' : typeof value === 'string' ? 'string' : 'boolean';
}

/**
 * The tag set as a JSON object with keys in code-unit order, so equal tag sets give equal text.
 * Built by hand: `JSON.stringify` of an object would put integer-like keys first.
 */
function canonicalTags(tags: Readonly<Record<string, string>>): { json: string; keys: string[] } {
  const all = Object.keys(tags);
  if (all.length > 1) all.sort();
  const keys: string[] = [];
  let json = '{';
  for (const key of all) {
    const value = tags[key]!;
    if (value === '') continue;
    if (keys.length > 0) json += ',';
    json += `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    keys.push(key);
  }
  return { json: `${json}}`, keys };
}
