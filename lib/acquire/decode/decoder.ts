/**
 * Decoders are plug-ins: one file each in `acquire/decode/`, listed in `decode/registry.ts`.
 * A decoder is pure: bytes (and the slot or content type they came with) in, readings out, or a
 * `DecodeError` naming the problem. No logger, clock or I/O inside; it throws nothing else.
 *
 * Readings are JSON-like objects, one per reading, with raw values: sanitizing them (numbers,
 * flattening, tags, time) is the next stage's job.
 */

/** What a slot decoder makes of a slot, decided from its name alone; a caller keeps it per topic. */
export interface SlotMatch {
  kind: 'data' | 'event';
  /** The field a payload of one value is stored as (`data/<field>`). */
  field?: string | undefined;
  /** The columns of the app's `csv_fields` (CSV lines over MQTT, `decode/csv-lines.ts`). */
  columns?: readonly CsvColumn[] | undefined;
}

/** One column of CSV lines without a header (`csv_fields = a, b, status?:hex`). */
export interface CsvColumn {
  name: string;
  /** `:hex`: the cell is a hexadecimal number (`300` → 768), as ISEMS writes its status. */
  hex: boolean;
  /** `?`: a line may end before it (only trailing columns are optional). */
  optional: boolean;
}

/** The readings of one payload. */
export interface DecodedReadings {
  kind: 'data' | 'event';
  readings: Record<string, unknown>[];
  /** Parts of the payload left out, each with why (CSV lines with another field count). */
  skipped?: readonly string[] | undefined;
}

/**
 * A decoder of MQTT payloads (and of any message with a topic), chosen by the topic's slot.
 * Pure; `decode` throws `DecodeError` only.
 */
export interface SlotDecoder {
  readonly name: string;
  readonly takes: 'slot';
  /** The slots it takes, as the unknown-slot error lists them (`data.json`, `data/<field>`). */
  readonly slots: readonly string[];
  /** Whether it takes `slot`, and as what. Pure; never throws. */
  matchSlot(slot: string): SlotMatch | undefined;
  /** Decodes the payload of a slot it took. */
  decode(slot: string, match: SlotMatch, payload: Buffer): DecodedReadings;
  /**
   * True when an HTTP body posted to a slot it takes is its payload too, whatever its Content-Type: a
   * vendor's own POST (airrohr's `…/custom/airrohr`, stored on slot `custom/airrohr.json` as Kotori does).
   */
  readonly takesBodies?: boolean;
}

/** One reading of a body, with where it is in the body (a line, or for JSON the array index). */
export interface BodyItem {
  reading: Record<string, unknown>;
  line: number;
}

/** The field names of a channel's CSV rows, remembered between requests (and restarts). */
export interface CsvHeader {
  fields: string[];
  /**
   * Vendor formats with date and time in two columns: those two are joined (`<date>T<time>`, plus `zone`)
   * into `time`. `zone` `Z` reads them as UTC (Kotori's rule for Beelogger and the variometer); empty
   * (a header remembered by an earlier daqd) reads them in the configured zone.
   */
  fuse?: { date: string; time: string; zone: 'Z' | '' } | undefined;
}

/**
 * A body's readings, readable more than once: a large body is checked whole before any of it is
 * stored, then read again to store it in parts, so its readings never all sit in memory at once.
 */
export interface DecodedBody {
  /** The readings in body order; each call reads anew. */
  items(): AsyncIterable<BodyItem>;
  /** Where `line` of an item is, for messages: `line 7`, `item 3`. */
  where(line: number): string;
  /** Notes for the client (a CSV header taken); complete once `items()` has been read through once. */
  readonly messages: string[];
  /** The header line a CSV body brought (to be remembered), once `items()` has been read through once. */
  readonly header: CsvHeader | undefined;
}

/** What a body decoder is handed besides the body. */
export interface BodyDecodeContext {
  /** The channel's remembered CSV header (asked for only by a decoder with `remembersHeader`). */
  header?: CsvHeader | undefined;
}

/**
 * A decoder of request bodies (HTTP ingest), chosen by the media type of `Content-Type`.
 * Pure; throws `DecodeError` only, from `decodeBody` or while its readings are read.
 */
export interface BodyDecoder {
  readonly name: string;
  readonly takes: 'body';
  /** Media types it takes, lower case, without parameters. */
  readonly contentTypes: readonly string[];
  /** True when it reads rows against a header the channel remembers between bodies (CSV). */
  readonly remembersHeader?: boolean;
  decodeBody(body: Buffer, ctx: BodyDecodeContext): Promise<DecodedBody>;
}

/**
 * A decoder of one vendor's JSON document, recognised by its shape among the readings of a JSON data
 * container (`data.json`, on MQTT or posted to `…/data`), as Kotori recognises a TTN uplink.
 * Pure; `decodeDocument` throws `DecodeError` only and leaves the document as it was.
 */
export interface DocumentDecoder {
  readonly name: string;
  readonly takes: 'document';
  /** Whether `document` is this vendor's. Pure; never throws. */
  recognises(document: Record<string, unknown>): boolean;
  /** The one reading of a document it recognised. */
  decodeDocument(document: Record<string, unknown>): Record<string, unknown>;
  /**
   * Set by a vendor that writes several series per document (MySense: `info` and `data`): the readings
   * of a document it recognised, each naming its measurement (`decode/series.ts`). Asked instead of
   * `decodeDocument` where it is set.
   */
  decodeSeries?(document: Record<string, unknown>): Record<string, unknown>[];
}

/** Every kind of decoder the registry holds. */
export type Decoder = SlotDecoder | BodyDecoder | DocumentDecoder;
