import type { DataKind, Topology } from '../acquire/decode/topology.js';
import { measurementOf, topologyToStorage } from '../acquire/sanitize/storage-address.js';
import type { Aggregation } from '../acquire/sink/aggregation.js';
import type { Cell, QueryResult, SeriesQuery, Sink } from '../acquire/sink/sink.js';
import type { ExportMeta, Format } from './format/format.js';
import { renderScalar } from './format/scalar.js';
import { type FillMode, fillRows } from './query/fill.js';
import { type RowSort, sortRows } from './query/sort.js';

/**
 * The export path, in order: address (topology → database and measurement) → query (streamed rows from
 * the store) → fill (gaps) → sort (only by columns other than time) → format (bytes of the file type). This file is the one place that knows the
 * order; each stage is its own module. Rows flow through one at a time: nothing here holds a result.
 */

type Row = [bigint, ...Cell[]];

/** One export, as the HTTP layer has read it from the URL. */
export interface ExportRequest {
  topology: Topology;
  kind: DataKind;
  /** Inclusive time range, nanoseconds. */
  from: bigint;
  to: bigint;
  include?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
  /** Time order of the rows read from the store. */
  order: 'asc' | 'desc';
  /** At most this many rows read from the store. */
  limit?: number | undefined;
  /**
   * Sort by columns (not time alone) after filling: gaps are filled in time order, where they mean
   * something; Kotori fills after sorting. Holds the rows (see `sortRows`).
   */
  sort?: RowSort | undefined;
  /** False: the formats with columns leave `time` out (`exclude=time`). Default true. */
  time?: boolean | undefined;
  /** Gap filling, applied in this order. */
  fill: readonly FillMode[];
  /** One row per time bucket, computed by the store. */
  aggregate?: Aggregation | undefined;
  /** A file format, or the first value of one field as plain text. */
  output: { format: Format } | { scalar: string };
  /** Field names the realm stores as tags: line protocol writes these columns as tags again. */
  tagFields: readonly string[];
}

/** Where an export reads from. */
export interface ExportAddress {
  database: string;
  measurement: string;
}

/** What an export produced: nothing, a scalar, or a body to stream. */
export type ExportResult =
  | ({ kind: 'empty' } & ExportAddress)
  | ({ kind: 'scalar'; text: string } & ExportAddress)
  | ({
      kind: 'rows';
      format: Format;
      body: AsyncIterable<string | Uint8Array>;
      /**
       * Closes the store's row stream. Call it once the response is over: a body that was never read
       * (HEAD, client gone before the first chunk) cannot close what it has not started.
       */
      close(): Promise<void>;
    } & ExportAddress);

/** Address stage: the database and measurement of a topology's readings or events. Throws `DecodeError`. */
export function exportAddress(topology: Topology, kind: DataKind): ExportAddress {
  const address = topologyToStorage(topology);
  return { database: address.database, measurement: measurementOf(address, kind) };
}

/** The human title of an export: `realm / network / gateway / node` (LAN: `realm / node`). */
export function exportTitle(topology: Topology): string {
  return [topology.realm, topology.network, topology.gateway, topology.node]
    .filter((part): part is string => part !== undefined)
    .join(' / ');
}

/**
 * Runs an export against a store: address → query → fill → format. `empty` when the store has no row
 * for it (the caller answers 404). The body of `rows` is lazy: rows are read from the store only as the
 * consumer pulls chunks, and leaving it early closes the store's row stream.
 * Throws `DecodeError` (address), `StorageError` (query), `NotFoundError` (scalar without a value).
 */
export async function runExport(request: ExportRequest, sink: Sink): Promise<ExportResult> {
  const address = exportAddress(request.topology, request.kind);
  const query: SeriesQuery = {
    ...address,
    from: request.from,
    to: request.to,
    include:
      'scalar' in request.output ? scalarColumns(request.output.scalar, request.sort) : request.include,
    exclude: 'scalar' in request.output ? undefined : request.exclude,
    order: request.order,
    limit: request.limit,
  };
  if (request.aggregate !== undefined) query.aggregate = request.aggregate;
  const result = await sink.query(query);

  if ('scalar' in request.output) {
    const rows = request.sort === undefined ? result.rows : await sorted(result, request.sort, []);
    const text = await renderScalar({ columns: result.columns, rows }, request.output.scalar);
    return { kind: 'scalar', text, ...address };
  }
  if (result.columns.length === 0) {
    await result.rows[Symbol.asyncIterator]().return?.();
    return { kind: 'empty', ...address };
  }
  let iterator = result.rows[Symbol.asyncIterator]();
  if (request.sort !== undefined) {
    // Read to the end now, so that a refusal (too many rows, no such column) is still an HTTP answer.
    iterator = (await sorted(result, request.sort, request.fill))[Symbol.asyncIterator]();
  }
  const first = await iterator.next();
  if (first.done) return { kind: 'empty', ...address };
  let filled: AsyncIterable<Row> = replay(first.value, iterator);
  if (request.sort === undefined) for (const mode of request.fill) filled = fillRows(filled, mode);

  const meta: ExportMeta = {
    measurement: address.measurement,
    tagColumns: result.columns.filter((column) => request.tagFields.includes(column)),
    title: exportTitle(request.topology),
    time: request.time ?? true,
  };
  const format = request.output.format;
  return {
    kind: 'rows',
    format,
    body: format.render({ columns: result.columns, rows: filled }, meta),
    close: async () => {
      await iterator.return?.();
    },
    ...address,
  };
}

/** The columns a scalar export reads: the field, and those it is sorted by. */
function scalarColumns(field: string, sort: RowSort | undefined): string[] {
  const columns = [field];
  for (const name of sort?.by ?? []) if (name !== 'time' && !columns.includes(name)) columns.push(name);
  return columns;
}

/** Fill (in time order), then sort stage: every row of the result, sorted. */
async function sorted(
  result: QueryResult,
  sort: RowSort,
  fill: readonly FillMode[],
): Promise<AsyncIterable<Row>> {
  let rows: AsyncIterable<Row> = result.rows;
  for (const mode of fill) rows = fillRows(rows, mode);
  const held = await sortRows(rows, result.columns, sort);
  return (async function* () {
    yield* held;
  })();
}

/** The first row (read to know there is one), then the rest. */
async function* replay(first: Row, rest: AsyncIterator<Row>): AsyncGenerator<Row, void, undefined> {
  let finished = false;
  try {
    yield first;
    for (;;) {
      const next = await rest.next();
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // Left early (client gone, error downstream): let the store release the query.
    if (!finished) await rest.return?.();
  }
}
