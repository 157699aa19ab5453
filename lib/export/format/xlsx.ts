import { PassThrough } from 'node:stream';
import type ExcelJS from 'exceljs';
import type { Cell, QueryResult } from '../../acquire/sink/sink.js';
import type { ExportMeta, Format } from './format.js';
import { nsToIso } from './iso-time.js';

const NS_PER_MS = 1_000_000n;
// Rows written between two looks at the consumer's pace.
const ROWS_PER_BATCH = 500;
// Excel's limits: rows per sheet (one of them is our header) and the length of a cell's text.
const EXCEL_MAX_DATA_ROWS = 1_048_575;
const MAX_CELL_TEXT = 32_767;
const DATE_FORMAT = 'yyyy-mm-dd hh:mm:ss.000';
// Sheet XML allowed to wait for the compressor (a few batches' worth).
const MAX_COMPRESSOR_BACKLOG = 1 << 20;

/** Excel forbids these in sheet names and allows at most 31 characters. */
const SHEET_NAME_SPECIAL = /[[\]:*?/\\]/g;

function sheetName(measurement: string): string {
  const name = measurement
    .replace(SHEET_NAME_SPECIAL, '_')
    .replace(/^'+|'+$/g, '')
    .slice(0, 31);
  return name === '' ? 'data' : name;
}

function excelValue(value: Cell | undefined): ExcelJS.CellValue {
  if (value === null || value === undefined) return null;
  // Excel has no NaN or infinity.
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.length > MAX_CELL_TEXT) return value.slice(0, MAX_CELL_TEXT);
  return value;
}

/** Milliseconds since the epoch, rounded down (also before 1970). */
function nsToMs(ns: bigint): number {
  const ms = ns / NS_PER_MS;
  return Number(ns % NS_PER_MS < 0n ? ms - 1n : ms);
}

/**
 * Bytes the worksheet has handed on to the zip compressor that the compressor has not taken in yet.
 * exceljs writes the sheet XML without waiting for the compressor, so when deflate falls behind, that
 * backlog would grow with the row count; this looks at exceljs 4 internals (the worksheet's output
 * stream and the stream archiver reads it through) to see it, and reads 0 if they change shape.
 */
function compressorBacklog(sheet: ExcelJS.Worksheet): number {
  const pipes = (sheet as unknown as { stream?: { pipes?: unknown } }).stream?.pipes;
  if (!Array.isArray(pipes)) return 0;
  let bytes = 0;
  for (const pipe of pipes as { writableLength?: unknown; _writableState?: { length?: unknown } }[]) {
    const length = pipe.writableLength ?? pipe._writableState?.length;
    if (typeof length === 'number') bytes += length;
  }
  return bytes;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `out` has room (its reader caught up) and the compressor has caught up, or `out` closed. */
async function room(out: PassThrough, sheet: ExcelJS.Worksheet): Promise<void> {
  while (!out.destroyed) {
    if (out.writableNeedDrain) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          out.off('drain', done);
          out.off('close', done);
          resolve();
        };
        out.on('drain', done);
        out.on('close', done);
      });
    } else if (compressorBacklog(sheet) > MAX_COMPRESSOR_BACKLOG) {
      await sleep(1);
    } else {
      break;
    }
  }
  // Let the compressor's callbacks run before the next batch.
  await new Promise((resolve) => setImmediate(resolve));
}

/** Options of `createXlsxFormat`. */
export interface XlsxFormatOptions {
  /** Data rows per sheet before the next sheet starts (default and maximum: Excel's 1,048,575 + header). */
  rowsPerSheet?: number | undefined;
}

async function* renderXlsx(
  result: QueryResult,
  meta: ExportMeta,
  rowsPerSheet: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  const out = new PassThrough();
  // The reader below reports stream errors; this keeps a late one (after the reader left) from crashing.
  out.on('error', () => {});
  // exceljs is large (~30 MB resident): loaded on the first workbook export, not at daemon start.
  const { default: excel } = await import('exceljs');
  const workbook = new excel.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
  });
  workbook.creator = 'daqd';
  workbook.title = meta.title;
  const baseName = sheetName(meta.measurement);
  // Without `meta.time` neither time column is written.
  const time = meta.time !== false;
  const header = time ? ['time', 'time_iso', ...result.columns] : [...result.columns];
  const width = result.columns.length;
  let sheets = 0;
  const addSheet = (): ExcelJS.Worksheet => {
    sheets++;
    const suffix = sheets === 1 ? '' : ` (${sheets})`;
    const sheet = workbook.addWorksheet(baseName.slice(0, 31 - suffix.length) + suffix);
    sheet.columns = [
      ...(time
        ? [
            { key: 'time', width: 24, style: { numFmt: DATE_FORMAT } },
            { key: 'time_iso', width: 32 },
          ]
        : []),
      ...result.columns.map((column) => ({
        key: column,
        width: Math.max(12, Math.min(40, column.length + 2)),
      })),
    ];
    sheet.addRow(header).commit();
    return sheet;
  };
  let stopped = false;

  // Rows are committed as they come, so a sheet holds no rows; between batches the writer waits while
  // the consumer or the compressor is behind.
  const rowsWritten = (async () => {
    let sheet = addSheet();
    let inSheet = 0;
    let inBatch = 0;
    for await (const row of result.rows) {
      if (stopped) return { sheet, complete: false };
      if (inSheet === rowsPerSheet) {
        sheet.commit();
        sheet = addSheet();
        inSheet = 0;
      }
      const values: ExcelJS.CellValue[] = time ? [new Date(nsToMs(row[0])), nsToIso(row[0])] : [];
      for (let i = 1; i <= width; i++) values.push(excelValue(row[i] as Cell | undefined));
      sheet.addRow(values).commit();
      inSheet++;
      if (++inBatch === ROWS_PER_BATCH) {
        inBatch = 0;
        await room(out, sheet);
      }
    }
    return { sheet, complete: !stopped };
  })();
  const finished = rowsWritten.then(async ({ sheet, complete }) => {
    if (!complete) return;
    sheet.commit();
    await workbook.commit();
  });
  finished.catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));

  try {
    for await (const chunk of out) yield chunk as Uint8Array;
  } finally {
    if (!out.readableEnded) {
      // The consumer left early (or the stream failed): stop feeding rows and let the row source close.
      stopped = true;
      out.destroy();
      await rowsWritten.catch(() => undefined);
    }
  }
}

/**
 * An `xlsx` format; `rowsPerSheet` exists so that tests can see sheets roll over without writing a
 * million rows.
 */
export function createXlsxFormat(options: XlsxFormatOptions = {}): Format {
  const rowsPerSheet = Math.min(options.rowsPerSheet ?? EXCEL_MAX_DATA_ROWS, EXCEL_MAX_DATA_ROWS);
  return {
    suffix: 'xlsx',
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    render: (result, meta) => renderXlsx(result, meta, rowsPerSheet),
  };
}

/**
 * `data.xlsx`: an Excel workbook written with exceljs' streaming writer, sheets named after the
 * measurement. Columns: `time` as a real date cell (UTC; Excel keeps milliseconds, so the fraction
 * below a millisecond is cut off there), `time_iso` with the exact ISO 8601 text, then the columns
 * (without `meta.time`: the columns only).
 * Rows are committed as they arrive and writing pauses while the consumer has not read the output or
 * the compressor is behind, so memory stays bounded. A sheet holds at most Excel's 1,048,576 rows;
 * further rows continue on sheets `<name> (2)`, `<name> (3)`, … Excel limits also apply to values:
 * text longer than 32,767 characters is cut; NaN/±Infinity become empty cells. The workbook's
 * created/modified properties are the time of rendering (exceljs sets them).
 */
export const xlsxFormat: Format = createXlsxFormat();
