import type { Topology } from '../acquire/decode/topology.js';
import { topologyToStorage } from '../acquire/sanitize/storage-address.js';
import type { Cell, SeriesQuery, Sink } from '../acquire/sink/sink.js';
import type { ExportMeta, Format } from './format/format.js';
import { renderScalar } from './format/scalar.js';
import { type FillMode, fillRows } from './query/fill.js';

/**
 * The export path, in order: address (topology → database and measurement) → query (streamed rows from
 * the store) → fill (gaps) → format (bytes of the file type). This file is the one place that knows the
 * order; each stage is its own module. Rows flow through one at a time: nothing here holds a result.
 */

/** The earliest and latest instants a store keeps (InfluxDB 1.x's bounds, inside SQLite's int64). */
export const EARLIEST = -9223372036854775806n;
export const LATEST = 9223372036854775806n;

type Row = [bigint, ...Cell[]];

/** One export, as the HTTP layer has read it from the URL. */
export interface ExportRequest {
  topology: Topology;
  kind: 'data' | 'event';
  /** Inclusive time range, nanoseconds. */
  from: bigint;
  to: bigint;
  include?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
  order: 'asc' | 'desc';
  limit?: number | undefined;
  /** Gap filling, applied in this order. */
  fill: readonly FillMode[];
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
export function exportAddress(topology: Topology, kind: 'data' | 'event'): ExportAddress {
  const address = topologyToStorage(topology);
  return {
    database: address.database,
    measurement: kind === 'event' ? address.eventsMeasurement : address.measurement,
  };
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
    include: 'scalar' in request.output ? [request.output.scalar] : request.include,
    exclude: 'scalar' in request.output ? undefined : request.exclude,
    order: request.order,
    limit: request.limit,
  };
  const result = await sink.query(query);

  if ('scalar' in request.output) {
    return { kind: 'scalar', text: await renderScalar(result, request.output.scalar), ...address };
  }
  if (result.columns.length === 0) {
    await result.rows[Symbol.asyncIterator]().return?.();
    return { kind: 'empty', ...address };
  }
  const iterator = result.rows[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return { kind: 'empty', ...address };
  let filled: AsyncIterable<Row> = replay(first.value, iterator);
  for (const mode of request.fill) filled = fillRows(filled, mode);

  const meta: ExportMeta = {
    measurement: address.measurement,
    tagColumns: result.columns.filter((column) => request.tagFields.includes(column)),
    title: exportTitle(request.topology),
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
