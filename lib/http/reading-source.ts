import { type BodyLine, bodyLines, bodyText } from './body.js';
import { type CsvAnnounced, type CsvHeader, csvItems } from './csv-body.js';
import {
  type BodyItem,
  type BodyReadings,
  formReadings,
  jsonReadings,
  ndjsonItems,
} from './readings-body.js';

/** The body kinds HTTP ingest reads. */
export type BodyKind = 'json' | 'form' | 'csv' | 'ndjson';

/**
 * A request body's readings, readable more than once: a large body is checked whole before any of it is
 * stored, then read again to store it in parts, so its readings never all sit in memory at once.
 */
export interface ReadingSource {
  /** The readings in body order (`line` is the line, or for JSON the array index); each call reads anew. */
  items(): AsyncIterable<BodyItem>;
  /** Where `line` of an item is, for messages: `line 7`, `item 3`. */
  where(line: number): string;
  /** Notes for the client (a CSV header taken); complete once `items()` has been read through once. */
  readonly messages: string[];
  /** The header line a CSV body brought (to be remembered), once `items()` has been read through once. */
  readonly header: CsvHeader | undefined;
}

/** Line-oriented bodies are split from the kept body in pieces this large (never one huge string). */
const PIECE = 64 * 1024;

/**
 * Reads the body (bounded by the limit `chunks` enforces) and makes it a `ReadingSource`. JSON and form
 * bodies are parsed at once; CSV and NDJSON bodies are kept as bytes and parsed on each read.
 */
export async function readingSource(
  kind: BodyKind,
  chunks: AsyncIterable<Buffer>,
  csvHeader: () => Promise<CsvHeader | undefined>,
): Promise<ReadingSource> {
  switch (kind) {
    case 'json':
      return wholeSource(jsonReadings(await bodyText(chunks)));
    case 'form':
      return wholeSource(formReadings(await bodyText(chunks)));
    case 'ndjson': {
      const body = await bodyBytes(chunks);
      return {
        items: () => ndjsonItems(linesOf(body)),
        where: (line) => `line ${line}`,
        messages: [],
        header: undefined,
      };
    }
    case 'csv': {
      const body = await bodyBytes(chunks);
      const remembered = await csvHeader();
      const first: CsvAnnounced = { header: undefined, messages: [] };
      let reads = 0;
      return {
        items: () =>
          csvItems(linesOf(body), remembered, reads++ === 0 ? first : { header: undefined, messages: [] }),
        where: (line) => `line ${line}`,
        get messages() {
          return first.messages;
        },
        get header() {
          return first.header;
        },
      };
    }
  }
}

function wholeSource(body: BodyReadings): ReadingSource {
  return {
    items: async function* () {
      for (let i = 0; i < body.readings.length; i++) yield { reading: body.readings[i]!, line: i };
    },
    where: (index) => body.where(index),
    messages: body.messages,
    header: undefined,
  };
}

async function bodyBytes(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

function linesOf(body: Buffer): AsyncGenerator<BodyLine> {
  return bodyLines(
    (async function* () {
      for (let at = 0; at < body.length; at += PIECE) yield body.subarray(at, at + PIECE);
    })(),
  );
}
