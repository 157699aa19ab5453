import type { Cell } from '../../acquire/sink/sink.js';
import { QueryError } from '../../core/errors.js';

/** A result row: time in nanoseconds, then the cells. */
type Row = [bigint, ...Cell[]];

/** How `fillRows` fills null cells. */
export type FillMode = 'pad' | 'backfill' | 'interpolate';

/** Every fill mode, for validation and help texts. */
export const FILL_MODES: readonly FillMode[] = ['pad', 'backfill', 'interpolate'];

/** Options of `fillRows`. */
export interface FillOptions {
  /**
   * `backfill` / `interpolate`: most rows held back while waiting for a column's next value (default
   * 10,000). When a gap is longer, the oldest held row is passed on with that gap unfilled.
   */
  maxLookahead?: number | undefined;
}

const DEFAULT_MAX_LOOKAHEAD = 10_000;

/**
 * Fills null cells of a time-ordered row stream, column by column (pandas' `fillna` methods):
 * - `pad`: the last non-null value of the column before the row (streams; holds one value per column).
 * - `backfill`: the next non-null value of the column after the row.
 * - `interpolate`: for numeric columns, linear in time between the non-null neighbours before and after;
 *   cells whose neighbours are not both numbers, and leading or trailing nulls, stay null.
 * `backfill` and `interpolate` hold rows back until every null cell in them is resolved (or the stream
 * ends), at most `maxLookahead` rows. Leading nulls (`pad`) and trailing nulls (`backfill`) stay null.
 * Rows that change are copies; input rows are never modified. Throws `QueryError` for an unknown mode.
 */
export function fillRows(
  rows: AsyncIterable<Row>,
  mode: FillMode,
  options: FillOptions = {},
): AsyncIterable<Row> {
  if (!FILL_MODES.includes(mode)) {
    throw new QueryError(`unknown fill mode '${String(mode)}'; known modes: ${FILL_MODES.join(', ')}`);
  }
  const maxLookahead = options.maxLookahead ?? DEFAULT_MAX_LOOKAHEAD;
  if (!Number.isInteger(maxLookahead) || maxLookahead < 1) {
    throw new QueryError(`fill look-ahead must be a positive integer, not ${maxLookahead}`);
  }
  return mode === 'pad' ? pad(rows) : lookahead(rows, mode, maxLookahead);
}

async function* pad(rows: AsyncIterable<Row>): AsyncGenerator<Row, void, undefined> {
  const last: Cell[] = [];
  for await (const row of rows) {
    let filled = row;
    for (let i = 1; i < row.length; i++) {
      const value = row[i] as Cell | undefined;
      if (value !== null && value !== undefined) {
        last[i] = value;
      } else {
        const previous = last[i];
        if (previous === undefined || previous === null) continue;
        if (filled === row) filled = [...row];
        filled[i] = previous;
      }
    }
    yield filled;
  }
}

/** A row held back, with the number of its cells still waiting for a value. */
interface Held {
  row: Row;
  open: number;
  /** Passed on already: must not be changed any more. */
  released: boolean;
}

async function* lookahead(
  rows: AsyncIterable<Row>,
  mode: 'backfill' | 'interpolate',
  maxLookahead: number,
): AsyncGenerator<Row, void, undefined> {
  const held = new Fifo<Held>();
  // Per column: the held rows waiting for its next value, and its last value with its time.
  const waiting: Fifo<Held>[] = [];
  const lastTime: bigint[] = [];
  const lastValue: Cell[] = [];

  for await (const input of rows) {
    const time = input[0];
    const entry: Held = { row: input, open: 0, released: false };
    let copied = false;
    for (let i = 1; i < input.length; i++) {
      const value = input[i] as Cell | undefined;
      if (value === null || value === undefined) {
        // Interpolation needs a number on both sides; without one before, there is nothing to wait for.
        if (mode === 'interpolate' && !isNumber(lastValue[i])) continue;
        if (!copied) {
          entry.row = [...input];
          copied = true;
        }
        let list = waiting[i];
        if (list === undefined) {
          list = new Fifo<Held>();
          waiting[i] = list;
        }
        list.push(entry);
        entry.open++;
        continue;
      }
      const list = waiting[i];
      if (list !== undefined && list.size > 0) {
        for (const gap of list.drain()) {
          if (gap.released) continue;
          gap.row[i] =
            mode === 'backfill'
              ? value
              : interpolate(lastTime[i]!, lastValue[i] as number, time, value, gap.row[0]);
          gap.open--;
        }
      }
      lastTime[i] = time;
      lastValue[i] = value;
    }
    held.push(entry);

    while (held.size > 0 && (held.peek()!.open === 0 || held.size > maxLookahead)) {
      const head = held.shift()!;
      head.released = true;
      if (head.open > 0) {
        // Released before its gaps closed: it is the oldest entry of each list it waits in, so those
        // lists shed it from the front and stay within the look-ahead too.
        for (const list of waiting) while (list?.peek()?.released) list.shift();
      }
      yield head.row;
    }
  }
  while (held.size > 0) yield held.shift()!.row;
}

function isNumber(value: Cell | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The value at `time` on the line through (t0, v0) and (t1, v1); null when v1 is no number. */
function interpolate(t0: bigint, v0: number, t1: bigint, v1: Cell, time: bigint): Cell {
  if (!isNumber(v1)) return null;
  if (t1 === t0) return v0;
  return v0 + ((v1 - v0) * Number(time - t0)) / Number(t1 - t0);
}

/** A first-in first-out queue with O(1) push and shift (an array with a moving head). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.head++;
    // Drop the consumed front now and then, so memory follows the size, not the total pushed.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Takes every item out, oldest first. */
  drain(): T[] {
    const items = this.head === 0 ? this.items : this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return items;
  }
}
