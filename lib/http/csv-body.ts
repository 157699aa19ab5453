import { DecodeError } from '../core/errors.js';
import type { BodyLine } from './body.js';
import { type BodyItem, type BodyReadings, removePasskey } from './readings-body.js';

/** The field names of a channel's CSV rows, remembered between requests (and restarts). */
export interface CsvHeader {
  fields: string[];
  /**
   * Vendor formats with date and time in two columns: those two are joined (`<date>T<time>`, plus `zone`)
   * into `time`. `zone` `Z` reads them as UTC (Kotori's rule for Beelogger); empty reads them in the
   * configured zone.
   */
  fuse?: { date: string; time: string; zone: 'Z' | '' } | undefined;
}

/** CSV readings, plus the header line the body brought (to be remembered), if any. */
export interface CsvReadings extends BodyReadings {
  header: CsvHeader | undefined;
}

/** Header names Kotori reads as the timestamp column. */
const TIME_ALIASES = ['Date/Time', 'Datum/Zeit', 'Date', 'timestamp'];
/** Vendor header lines Kotori recognises without `## `: Open Hive, luftdaten.info archives. */
const VENDOR_HEADERS = ['Date/Time', 'Datum/Zeit', 'sensor_id'];
/** Vendor header lines with date and time in two columns: Beelogger (UTC, as Kotori reads it), generic. */
const FUSED_HEADERS: readonly { date: string; time: string; zone: 'Z' | '' }[] = [
  { date: 'Datum', time: 'Uhrzeit', zone: 'Z' },
  { date: 'Date', time: 'Time', zone: '' },
];

/**
 * The header a line announces, or undefined for a data row. Recognised (Kotori's CSV dialect):
 * `## a,b,c`; lines starting with `Date/Time`, `Datum/Zeit` or `sensor_id`; `Datum,Uhrzeit,…` and
 * `Date;Time;…` (date and time fused into `time`). `Date/Time`, `Datum/Zeit`, `Date` and `timestamp`
 * are renamed `time` (when there is no `time` column). `DecodeError` for empty or repeated names.
 */
export function csvHeaderFromLine(line: string): CsvHeader | undefined {
  const text = line.trim();
  let fields: string[];
  if (text.startsWith('##')) fields = csvCells(text.slice(2));
  else if (VENDOR_HEADERS.some((h) => text.startsWith(h))) fields = csvCells(text);
  else {
    const cells = csvCells(text);
    const fuse = FUSED_HEADERS.find((f) => cells[0] === f.date && cells[1] === f.time);
    if (fuse === undefined) return undefined;
    return checked({ fields: cells, fuse: { ...fuse } });
  }
  if (!fields.includes('time')) {
    const alias = fields.findIndex((f) => TIME_ALIASES.includes(f));
    if (alias !== -1) fields[alias] = 'time';
  }
  return checked({ fields });
}

function checked(header: CsvHeader): CsvHeader {
  const seen = new Set<string>();
  header.fields.forEach((name, index) => {
    if (name === '') throw new DecodeError(`CSV header: field ${index + 1} has no name`);
    if (seen.has(name)) throw new DecodeError(`CSV header: field '${name}' is named twice`);
    seen.add(name);
  });
  return header;
}

/**
 * The cells of one line: separated by `,` or `;` (both, as Kotori reads them), white space around a
 * cell trimmed. A cell in double quotes may hold separators; `""` inside is one quote.
 */
export function csvCells(line: string): string[] {
  if (!line.includes('"')) return line.split(/[,;]/).map((cell) => cell.trim());
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    let cell = '';
    if (line[i] === '"') {
      i++;
      for (; i < line.length; i++) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            cell += '"';
            i++;
          } else {
            i++;
            break;
          }
        } else cell += line[i];
      }
      // Anything between the closing quote and the separator is kept, as a lenient reader would.
      let rest = '';
      while (i < line.length && line[i] !== ',' && line[i] !== ';') rest += line[i++];
      cell += rest.trim();
    } else {
      while (i < line.length && line[i] !== ',' && line[i] !== ';') cell += line[i++];
      cell = cell.trim();
    }
    cells.push(cell);
    if (i >= line.length) return cells;
    i++; // the separator
  }
}

/** What a CSV body announced while it was read: its header line, if any, and notes for the client. */
export interface CsvAnnounced {
  header: CsvHeader | undefined;
  messages: string[];
}

/**
 * Reads a `text/csv` body line by line while it arrives, yielding one reading per data row. Header lines
 * (see `csvHeaderFromLine`) set the field names for the rows after them and are noted in `announced`;
 * rows before any header use `remembered`, and without one the body is refused, asking for a header. An
 * empty cell is no value (columns never shift); a row with more values than the header has names is
 * refused. Blank lines are skipped. Times in the `time` column written `2016/07/13 09:38:46` or
 * `13.07.2016 09:38:46` are read as ISO dates.
 */
export async function* csvItems(
  lines: AsyncIterable<BodyLine>,
  remembered: CsvHeader | undefined,
  announced: CsvAnnounced,
): AsyncGenerator<BodyItem> {
  let header = remembered;
  let sawLine = false;
  for await (const line of lines) {
    if (line.text.trim() === '') continue;
    sawLine = true;
    let found: CsvHeader | undefined;
    try {
      found = csvHeaderFromLine(line.text);
    } catch (err) {
      throw new DecodeError(`line ${line.number}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (found !== undefined) {
      header = found;
      announced.header = found;
      announced.messages.push(`Received header fields ${JSON.stringify(found.fields)}`);
      continue;
    }
    if (header === undefined) {
      throw new DecodeError(
        `line ${line.number}: no CSV header known for this channel; send the field names first, ` +
          `as a line like '## time,temperature,humidity'`,
      );
    }
    yield { reading: rowToReading(csvCells(line.text), header, line.number), line: line.number };
  }
  if (!sawLine) throw new DecodeError('request body is empty');
}

/** A `text/csv` body as a whole (see `csvItems`). */
export async function csvReadings(
  lines: AsyncIterable<BodyLine>,
  remembered: CsvHeader | undefined,
): Promise<CsvReadings> {
  const announced: CsvAnnounced = { header: undefined, messages: [] };
  const readings: Record<string, unknown>[] = [];
  const numbers: number[] = [];
  for await (const item of csvItems(lines, remembered, announced)) {
    readings.push(item.reading);
    numbers.push(item.line);
  }
  return {
    readings,
    where: (index) => `line ${numbers[index] ?? '?'}`,
    messages: announced.messages,
    header: announced.header,
  };
}

function rowToReading(
  cells: readonly string[],
  header: CsvHeader,
  lineNumber: number,
): Record<string, unknown> {
  const entries: [string, string][] = [];
  for (let i = 0; i < cells.length; i++) {
    const value = cells[i]!;
    if (value === '') continue;
    const name = header.fields[i];
    if (name === undefined) {
      throw new DecodeError(
        `line ${lineNumber}: value '${clip(value)}' in column ${i + 1}, but the header names ${header.fields.length} fields`,
      );
    }
    entries.push([name, value]);
  }
  // fromEntries defines own properties: a column named `__proto__` stays a column.
  const reading: Record<string, unknown> = Object.fromEntries(entries);
  const fuse = header.fuse;
  if (fuse !== undefined) {
    const date = reading[fuse.date];
    const time = reading[fuse.time];
    delete reading[fuse.date];
    delete reading[fuse.time];
    if (typeof date === 'string') {
      reading['time'] =
        typeof time === 'string' ? `${isoDate(date)}T${padHour(time)}${fuse.zone}` : isoDate(date);
    }
  } else if (typeof reading['time'] === 'string') {
    reading['time'] = isoDate(reading['time']);
  }
  return removePasskey(reading);
}

const SLASHED_DATE = /^(\d{4})\/(\d{1,2})\/(\d{1,2})(.*)$/;
const DOTTED_DATE = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(.*)$/;
const SHORT_HOUR = /^([T ])(\d):(.*)$/;

/** `2016/07/13 9:38:46` and `13.07.2016 09:38:46` → `2016-07-13 09:38:46`; anything else unchanged. */
function isoDate(text: string): string {
  const slashed = SLASHED_DATE.exec(text);
  if (slashed) return `${slashed[1]}-${pad(slashed[2]!)}-${pad(slashed[3]!)}${padTime(slashed[4]!)}`;
  const dotted = DOTTED_DATE.exec(text);
  if (dotted) return `${dotted[3]}-${pad(dotted[2]!)}-${pad(dotted[1]!)}${padTime(dotted[4]!)}`;
  return text;
}

function padTime(rest: string): string {
  const m = SHORT_HOUR.exec(rest);
  return m ? `${m[1]}0${m[2]}:${m[3]}` : rest;
}

function padHour(time: string): string {
  return /^\d:/.test(time) ? `0${time}` : time;
}

function pad(part: string): string {
  return part.length === 1 ? `0${part}` : part;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
