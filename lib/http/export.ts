import { Readable } from 'node:stream';
import type { Context } from 'koa';
import { strategyNamed } from '../acquire/decode/strategy/registry.js';
import type { Topology } from '../acquire/decode/topology.js';
import type { Sink } from '../acquire/sink/sink.js';
import type { RealmApp } from '../config/settings.js';
import { nowNs } from '../core/clock.js';
import { errorMessage, NotFoundError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { nsToIso } from '../export/format/iso-time.js';
import { formatForSuffix } from '../export/format/registry.js';
import { runExport } from '../export/pipeline.js';
import { parseExportParams } from './export-params.js';

/** What `handleExport` is handed besides the request. */
export interface ExportContext {
  /** `[daqd] timezone`: zone-less `from` / `to` are read in it. */
  timezone: string;
  log: Log;
}

/** Formats a browser shows rather than saves (as Kotori sends them). */
const INLINE = ['csv', 'txt', 'json', 'html'];

/**
 * `GET /api/<realm>/<address…>/<data|event>.<suffix>`: the readings of one node in a time range, streamed
 * from the store through the export pipeline to the client. Parameters: see `parseExportParams`.
 * No rows → 404 with a short text on how to ask (Kotori's behaviour). The file is named
 * `<network>_<gateway>_<node>_<from>_<to>.<suffix>` (LAN: `<node>_<from>_<to>.<suffix>`), `-` in names
 * written `_` as Kotori does, and the range as UTC `YYYYMMDDTHHmmssZ` — a form `from` and `to` accept.
 */
export async function handleExport(
  koa: Context,
  app: RealmApp,
  route: { address: readonly string[]; slot: 'data' | 'event'; suffix: string },
  sink: Sink,
  ctx: ExportContext,
): Promise<void> {
  const topology = exportTopology(route.address, route.slot, app);
  const format = formatForSuffix(route.suffix);
  const params = parseExportParams(new URLSearchParams(koa.querystring), {
    now: nowNs(),
    timezone: ctx.timezone,
  });
  const result = await runExport(
    {
      topology,
      kind: route.slot,
      from: params.range.from,
      to: params.range.to,
      include: params.include,
      exclude: params.exclude,
      order: params.order,
      limit: params.limit,
      sort: params.sort,
      time: params.time,
      fill: params.fill,
      aggregate: params.aggregate,
      output: params.scalar === undefined ? { format } : { scalar: params.scalar },
      tagFields: app.tags,
    },
    sink,
  );
  koa.set('Target-Database', result.database);
  koa.set('Target-Measurement', result.measurement);

  if (result.kind === 'empty') {
    koa.status = 404;
    koa.type = 'text/plain; charset=utf-8';
    koa.body = noDataText(result, params.range, ctx.timezone);
    return;
  }
  if (result.kind === 'scalar') {
    koa.status = 200;
    koa.type = 'text/plain; charset=utf-8';
    koa.body = result.text;
    return;
  }
  const suffix = format.suffix;
  const filename = `${fileStem(topology)}_${compactTime(params.range.from)}_${compactTime(params.range.to)}.${suffix}`;
  koa.status = 200;
  koa.type = result.format.contentType;
  koa.set(
    'Content-Disposition',
    `${INLINE.includes(suffix) ? 'inline' : 'attachment'}; filename="${filename}"`,
  );
  koa.res.once('close', () => {
    void result.close();
  });
  const what = `export of '${result.database}'.'${result.measurement}'`;
  koa.body = Readable.from(logFailure(result.body, what, ctx.log), {
    objectMode: false,
    highWaterMark: 65_536,
  });
}

/**
 * The topology of an export path, read by the realm's strategy (the slot is the one ingest writes to:
 * `data.json`, `event.json`); 404 unless the path names exactly one node.
 */
function exportTopology(address: readonly string[], slot: 'data' | 'event', app: RealmApp): Topology {
  const strategy = strategyNamed(app.strategy);
  try {
    return strategy.pathToTopology(address, `${slot}.json`, app);
  } catch (err) {
    throw new NotFoundError(
      `no such address: ${errorMessage(err)}; export paths are /api/${app.realm}/${strategy.addressShape}/${slot}.<suffix>`,
    );
  }
}

/** An error in the middle of a stream cannot change the status any more: it is logged, and the connection cut. */
async function* logFailure<T>(body: AsyncIterable<T>, what: string, log: Log): AsyncGenerator<T> {
  try {
    yield* body;
  } catch (err) {
    log.error(`${what} failed while streaming: ${errorMessage(err)}`);
    throw err;
  }
}

function fileStem(t: Topology): string {
  return [t.network, t.gateway, t.node]
    .filter((part): part is string => part !== undefined)
    .map((part) => part.replace(/[^A-Za-z0-9_.]/g, '_'))
    .join('_');
}

/** `20260101T000000Z`: UTC, whole seconds. */
function compactTime(ns: bigint): string {
  const iso = nsToIso(ns);
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

function noDataText(
  where: { database: string; measurement: string },
  range: { from: bigint; to: bigint },
  timezone: string,
): string {
  return [
    '# 404 Not Found',
    '#',
    `# No data in database '${where.database}', measurement '${where.measurement}',`,
    `# from ${nsToIso(range.from)} to ${nsToIso(range.to)}.`,
    `# The default range is from=now-10d to=now. Times without an offset are read in ${timezone}.`,
    '#',
    '# Examples:',
    '#',
    '#   ?from=now-1h',
    '#   ?from=now-7d&to=now-1d',
    '#   ?from=2026-01-01&to=2026-01-31',
    '#   ?from=2026-01-01T08:00:00%2B01:00    (%2B is "+" URL-encoded)',
    '',
  ].join('\n');
}
