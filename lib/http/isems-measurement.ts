import { DateTime } from 'luxon';

/**
 * One measurement as the ISEMS data collector's API answers it (its `Measurement.to_dict()`): the
 * columns of its table, keys sorted as Flask's JSON encoder sorts them. Absent values are `null`, as the
 * collector's empty columns are.
 */
export interface IsemsMeasurement {
  batteryChargeEstimate: number | null;
  batteryHealthEstimate: number | null;
  batteryTemperature: number | null;
  batteryVoltage: number | null;
  id: number;
  isPowerSaveMode: boolean | null;
  isemsRevision: string | null;
  latitude: number | null;
  longitude: number | null;
  lowVoltageDisconnectVoltage: number | null;
  mppVoltage: number | null;
  nodeId: string;
  openCircuitVoltage: number | null;
  openMPPTFirmwareVersion: string | null;
  rateBatteryCapacity: number | null;
  ratedSolarModuleCapacity: number | null;
  /** `0x300`: the status in hex, at least three digits; `0x000` when the line had none. */
  status: string;
  temperatureCorrectedVoltage: number | null;
  timeToShutdown: number | null;
  /** The wall-clock time in the collector's zone, ISO 8601 without offset: `2018-06-30T15:16:15`. */
  timestamp: string;
}

/** The collector's float columns. */
const FLOAT_KEYS = [
  'batteryChargeEstimate',
  'batteryHealthEstimate',
  'batteryTemperature',
  'batteryVoltage',
  'latitude',
  'longitude',
  'lowVoltageDisconnectVoltage',
  'mppVoltage',
  'openCircuitVoltage',
  'rateBatteryCapacity',
  'ratedSolarModuleCapacity',
  'temperatureCorrectedVoltage',
  'timeToShutdown',
] as const;

const NS_PER_SECOND = 1_000_000_000n;
const NS_PER_MICROSECOND = 1000n;
const NS_PER_MS = 1_000_000n;
/** Bits of an `id` for the node; the other 32 hold the time in seconds. */
const NODE_BITS = 21;

/**
 * A stored ISEMS reading (its fields, from `csv_fields = isems`: numbers as floats, `isPowerSaveMode`
 * 1/0, `status` the number of its hex) → the collector's measurement. Pure.
 *
 * - `nodeId`: the reading's own, else `node` (the node it is stored under).
 * - `isemsRevision`, `openMPPTFirmwareVersion`: strings, as the collector keeps them (a number stored
 *   for them is written back as its shortest text: `1`, not `1.0`).
 * - `isPowerSaveMode`: a boolean (the collector's column): true for 1 (its importer's `== "1"`).
 * - `timestamp`: the reading's time as wall-clock time in `zone`, without offset, microseconds only when
 *   there are any: the collector stores `datetime.fromtimestamp(t, Europe/Berlin)` in a column without
 *   zone and Python's `isoformat()` writes it so.
 * - `status`: `"{0:#05x}"` as the collector formats it: `0x300`, `0x000` when absent.
 * - `id`: the collector's is its table's row number, which no store here has. This one is stable for a
 *   reading (the same on InfluxDB and SQLite, across restarts and re-imports), unique per node and time,
 *   and grows with time for a node: a hash of the node (21 bits) above the time in seconds (32 bits).
 */
export function toIsemsMeasurement(
  node: string,
  time: bigint,
  data: Readonly<Record<string, number | string | boolean>>,
  zone: string,
): IsemsMeasurement {
  const own = data['nodeId'];
  const nodeId = own === undefined ? node : String(own);
  const floats = Object.fromEntries(FLOAT_KEYS.map((key) => [key, floatOf(data[key])])) as Record<
    (typeof FLOAT_KEYS)[number],
    number | null
  >;
  const unsorted: IsemsMeasurement = {
    ...floats,
    id: measurementId(nodeId, time),
    isPowerSaveMode: booleanOf(data['isPowerSaveMode']),
    isemsRevision: textOf(data['isemsRevision']),
    nodeId,
    openMPPTFirmwareVersion: textOf(data['openMPPTFirmwareVersion']),
    status: statusText(data['status']),
    timestamp: wallClockIso(time, zone),
  };
  const keys = Object.keys(unsorted).sort() as (keyof IsemsMeasurement)[];
  return Object.fromEntries(keys.map((key) => [key, unsorted[key]])) as unknown as IsemsMeasurement;
}

/** `time` (ns) as the wall-clock time in `zone`: `2018-06-30T15:16:15`, `…T15:16:15.250000`. */
export function wallClockIso(time: bigint, zone: string): string {
  const ms = floorDiv(time, NS_PER_MS);
  const text = DateTime.fromMillis(Number(ms), { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
  const micros = floorMod(floorDiv(time, NS_PER_MICROSECOND), 1_000_000n);
  return micros === 0n ? text : `${text}.${String(micros).padStart(6, '0')}`;
}

/** `"{0:#05x}".format(status or 0)`: `0x` and at least three hex digits. */
export function statusText(value: number | string | boolean | undefined): string {
  const n = typeof value === 'number' && Number.isFinite(value) ? Math.trunc(Math.abs(value)) : 0;
  return `0x${n.toString(16).padStart(3, '0')}`;
}

/** A hash of the node (FNV-1a, 21 bits) times 2^32 plus the time in seconds modulo 2^32: a safe integer. */
export function measurementId(nodeId: string, time: bigint): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(nodeId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const seconds = Number(floorMod(floorDiv(time, NS_PER_SECOND), 2n ** 32n));
  return (hash >>> (32 - NODE_BITS)) * 2 ** 32 + seconds;
}

function floatOf(value: number | string | boolean | undefined): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function booleanOf(value: number | string | boolean | undefined): boolean | null {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value;
  // The collector's importer: `isPowerSaveMode = (parts[5] == "1")`.
  if (typeof value === 'number') return value === 1;
  const text = value.trim().toLowerCase();
  return text === '1' || text === 'true';
}

function textOf(value: number | string | boolean | undefined): string | null {
  return value === undefined ? null : String(value);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

function floorMod(a: bigint, b: bigint): bigint {
  const r = a % b;
  return r < 0n ? r + b : r;
}
