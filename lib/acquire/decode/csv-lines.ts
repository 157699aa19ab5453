import { DecodeError } from '../../core/errors.js';
import { csvCells } from './csv.js';
import type { CsvColumn, SlotDecoder } from './decoder.js';
import { carriesErrors } from './error-slot.js';
import { ISEMS_CSV_FIELDS } from './isems.js';
import { slotPayloadText } from './payload-text.js';
import type { SlotClass } from './slot.js';

/** Field lists known by name: `csv_fields = isems`. */
const CSV_PRESETS: Readonly<Record<string, string>> = { isems: ISEMS_CSV_FIELDS };

const COLUMN = /^([A-Za-z_][A-Za-z0-9_.-]*)(\?)?(?::(hex))?$/;
const HEX = /^(?:0x)?[0-9a-f]+$/i;

/** What reading `csv_fields` gave: the columns, or what is wrong (for `file:line` messages). */
export type CsvFieldsResult = { columns: CsvColumn[] } | { problem: string };

/**
 * Reads an app's `csv_fields`: a preset name (`isems`) or a comma-separated list of names, each
 * optionally marked `?` (the line may end before it; only trailing columns) and `:hex` (a hexadecimal
 * number). Pure.
 */
export function parseCsvFields(text: string): CsvFieldsResult {
  const list = CSV_PRESETS[text.trim()] ?? text;
  const columns: CsvColumn[] = [];
  for (const raw of list.split(',')) {
    const spec = raw.trim();
    const m = COLUMN.exec(spec);
    if (m === null) {
      return { problem: `'${spec}' is not a column (a name, then '?' if optional, ':hex' for hex numbers)` };
    }
    const name = m[1]!;
    if (columns.some((c) => c.name === name)) return { problem: `column '${name}' is named twice` };
    const optional = m[2] === '?';
    if (!optional && columns.some((c) => c.optional)) {
      return { problem: `column '${name}' follows an optional one: only trailing columns are optional` };
    }
    columns.push({ name, hex: m[3] === 'hex', optional });
  }
  if (columns.every((c) => c.optional)) return { problem: 'at least one column must be required' };
  return { columns };
}

/**
 * The slot class of every topic of an app with `csv_fields`: its payloads are CSV lines, except the
 * error reports (Kotori's loop protection stays first). `field` (a template's last level, `csvlog`)
 * names the payload in messages when the slot is empty. Pure.
 */
export function csvLinesSlotClass(slot: string, columns: readonly CsvColumn[], field?: string): SlotClass {
  if (carriesErrors(slot)) return { kind: 'ignore', reason: `slot '${slot}' carries error reports` };
  return { kind: 'decoder', decoder: csvLinesDecoder, match: { kind: 'data', columns, field } };
}

/**
 * CSV lines without a header over MQTT (an ISEMS node's `csvlog`): each non-blank line of the payload
 * is one reading, its cells (split by the HTTP CSV reader, `csvCells`: `;` or `,`) named by the app's
 * `csv_fields` in order. Cells stay text (the sanitize stage makes numbers floats and reads `timestamp`
 * or `time` as the reading's time), but `:hex` columns, which become numbers. An empty cell is no value.
 *
 * A line with another field count, or a `:hex` cell that is not hexadecimal, is left out and named in
 * `skipped`; the other lines are decoded. `DecodeError` when there is no line at all, when no line is
 * good (naming the first problem), or without columns (an app without `csv_fields` never asks).
 * Pure. Only asked for apps with `csv_fields` (`csvLinesSlotClass`), never by slot name.
 */
export const csvLinesDecoder: SlotDecoder = {
  name: 'csv-lines',
  takes: 'slot',
  slots: ['<csv_fields>'],
  matchSlot: () => ({ kind: 'data' }),
  decode(slot, match, payload) {
    // A topic template without `{slot}` (`/isems/{node}/csvlog`) names the payload by its last level.
    const name = slot === '' ? (match.field ?? '') : slot;
    const columns = match.columns;
    if (columns === undefined || columns.length === 0) {
      throw new DecodeError(`slot '${name}': no csv_fields to name the cells`);
    }
    const text = slotPayloadText(name, payload);
    const lines = text.split(/\r?\n/);
    const readings: Record<string, unknown>[] = [];
    const skipped: string[] = [];
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      const reading = lineToReading(line, columns);
      if (typeof reading === 'string') skipped.push(`line ${index + 1}: ${reading}`);
      else readings.push(reading);
    });
    if (readings.length === 0) {
      if (skipped.length === 0) throw new DecodeError(`slot '${name}': empty payload`);
      throw new DecodeError(`slot '${name}': no good line (${skipped.length} skipped; ${skipped[0]})`);
    }
    return { kind: 'data', readings, skipped };
  },
};

/** The reading of one line, or why it is left out. */
function lineToReading(line: string, columns: readonly CsvColumn[]): Record<string, unknown> | string {
  const cells = csvCells(line);
  const required = columns.filter((c) => !c.optional).length;
  if (cells.length < required || cells.length > columns.length) {
    const expected = required === columns.length ? `${required}` : `${required} to ${columns.length}`;
    return `${cells.length} fields, expected ${expected}`;
  }
  const entries: [string, unknown][] = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    const column = columns[i]!;
    if (cell === '') continue;
    if (column.hex) {
      if (!HEX.test(cell)) return `'${column.name}' is '${clip(cell)}', not a hexadecimal number`;
      entries.push([column.name, Number.parseInt(cell.replace(/^0x/i, ''), 16)]);
    } else entries.push([column.name, cell]);
  }
  // fromEntries defines own properties: a column named `__proto__` stays a column.
  return Object.fromEntries(entries);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
