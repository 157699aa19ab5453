import { DecodeError } from '../../core/errors.js';
import type { BodyReadings } from './body-readings.js';
import type { BodyDecoder, BodyItem, CsvHeader } from './decoder.js';
import { removePasskey } from './ecowitt-passkey.js';
import { type BodyLine, linesOfBody } from './text-lines.js';

/** CSV readings, plus the header line the body brought (to be remembered), if any. */
export interface CsvReadings extends BodyReadings {
  header: CsvHeader | undefined;
}

/** Header names Kotori reads as the timestamp column. */
const TIME_ALIASES = ['Date/Time', 'Datum/Zeit', 'Date', 'timestamp'];
/** Vendor header lines Kotori recognises without `## `: Open Hive, luftdaten.info archives. */
const VENDOR_HEADERS = ['Date/Time', 'Datum/Zeit', 'sensor_id'];
/**
 * Vendor header lines with date and time in two columns, read as UTC as Kotori reads them (it appends
 * `Z`): Beelogger (`Datum,Uhrzeit,…`, the first two columns) and the variometer layout (`Date;Time`
 * anywhere in the line: `Runtime;BatVolt;batPercent;Date;Time;…`).
 */
const BEELOGGER = { date: 'Datum', time: 'Uhrzeit', zone: 'Z' } as const;
const VARIOMETER = { date: 'Date', time: 'Time', zone: 'Z' } as const;

/**
 * The header a line announces, or undefined for a data row. Recognised, as Kotori's CSV reader does:
 * `## a,b,c`; lines starting with `Date/Time`, `Datum/Zeit` (Open Hive) or `sensor_id` (luftdaten.info
 * archives); `Datum,Uhrzeit,…` (Beelogger) and a `Date` column followed by `Time` anywhere (the
 * variometer layout `Runtime;…;Date;Time;…`): those two are fused into `time`, read as UTC.
 * `Date/Time`, `Datum/Zeit`, `Date` and `timestamp` are renamed `time` (when there is no `time`
 * column). Empty names at the end (a line ending in a separator) are left out, as Kotori does.
 * `DecodeError` for other empty names and for repeated names.
 */
export function csvHeaderFromLine(line: string): CsvHeader | undefined {
  const text = line.trim();
  let fields: string[];
  if (text.startsWith('##')) fields = withoutTrailingBlanks(csvCells(text.slice(2)));
  else if (VENDOR_HEADERS.some((h) => text.startsWith(h))) fields = withoutTrailingBlanks(csvCells(text));
  else {
    const cells = withoutTrailingBlanks(csvCells(text));
    if (cells[0] === BEELOGGER.date && cells[1] === BEELOGGER.time) {
      return checked({ fields: cells, fuse: { ...BEELOGGER } });
    }
    const date = cells.indexOf(VARIOMETER.date);
    if (date === -1 || cells[date + 1] !== VARIOMETER.time) return undefined;
    return checked({ fields: cells, fuse: { ...VARIOMETER } });
  }
  if (!fields.includes('time')) {
    const alias = fields.findIndex((f) => TIME_ALIASES.includes(f));
    if (alias !== -1) fields[alias] = 'time';
  }
  return checked({ fields });
}

function withoutTrailingBlanks(cells: string[]): string[] {
  let end = cells.length;
  while (end > 0 && cells[end - 1] === '') end--;
  return end === cells.length ? cells : cells.slice(0, end);
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
// The variometer writes `21/09/21`: day, month, two-digit year.
const DAY_FIRST_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4}|\d{2})(?!\d)(.*)$/;
const SHORT_HOUR = /^([T ])(\d):(.*)$/;

/**
 * `2016/07/13 9:38:46`, `13.07.2016 09:38:46` and `13/07/16 09:38:46` (or `13/07/2016`) →
 * `2016-07-13 09:38:46`; anything else unchanged. A two-digit year is 20yy. Kotori hands the
 * `dd/mm/yy` form to dateutil, which reads it month first whenever the first number is 12 or less;
 * daqd reads it day first always, so that the dates of one file never change order within a month.
 */
function isoDate(text: string): string {
  const slashed = SLASHED_DATE.exec(text);
  if (slashed) return `${slashed[1]}-${pad(slashed[2]!)}-${pad(slashed[3]!)}${padTime(slashed[4]!)}`;
  const dotted = DOTTED_DATE.exec(text);
  if (dotted) return `${dotted[3]}-${pad(dotted[2]!)}-${pad(dotted[1]!)}${padTime(dotted[4]!)}`;
  const dayFirst = DAY_FIRST_DATE.exec(text);
  if (dayFirst) {
    const year = dayFirst[3]!.length === 2 ? `20${dayFirst[3]}` : dayFirst[3]!;
    return `${year}-${pad(dayFirst[2]!)}-${pad(dayFirst[1]!)}${padTime(dayFirst[4]!)}`;
  }
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

/**
 * CSV bodies (see `csvItems`): kept as bytes, parsed on each read against the channel's remembered
 * header. What the first read announces (a header line, notes for the client) is what the body says;
 * later reads announce nothing again.
 */
export const csvDecoder: BodyDecoder = {
  name: 'csv',
  takes: 'body',
  contentTypes: ['text/csv'],
  remembersHeader: true,
  decodeBody: async (body, { header: remembered }) => {
    const first: CsvAnnounced = { header: undefined, messages: [] };
    let reads = 0;
    return {
      items: () =>
        csvItems(linesOfBody(body), remembered, reads++ === 0 ? first : { header: undefined, messages: [] }),
      where: (line) => `line ${line}`,
      get messages() {
        return first.messages;
      },
      get header() {
        return first.header;
      },
    };
  },
};
