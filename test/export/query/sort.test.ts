import { expect } from 'chai';
import type { Cell } from '../../../lib/acquire/sink/sink.js';
import { QueryError } from '../../../lib/core/errors.js';
import { sortRows } from '../../../lib/export/query/sort.js';

type Row = [bigint, ...Cell[]];

const COLUMNS = ['humidity', 'note', 'ok'];
// Time order, as the store yields them; humidity 50 twice, one null, one text.
const ROWS: Row[] = [
  [1n, 50, 'b', true],
  [2n, null, 'a', false],
  [3n, 48.5, 'c', null],
  [4n, 50, 'a', false],
  [5n, 'n/a', null, true],
  [6n, -3, 'd', true],
];

/** A row stream that records whether it was closed before its end. */
function stream(rows: readonly Row[]): { rows: AsyncIterable<Row>; closedEarly: () => boolean } {
  let ended = false;
  let closed = false;
  return {
    rows: (async function* () {
      try {
        yield* rows;
        ended = true;
      } finally {
        closed = !ended;
      }
    })(),
    closedEarly: () => closed,
  };
}

const times = (rows: readonly Row[]) => rows.map((row) => row[0]);

describe('sortRows', () => {
  it('sorts by a column ascending: numbers by value, then text, nulls last; ties keep time order', async () => {
    const sorted = await sortRows(stream(ROWS).rows, COLUMNS, { by: ['humidity'], direction: 'asc' });
    expect(times(sorted)).to.deep.equal([6n, 3n, 1n, 4n, 5n, 2n]);
  });

  it('descending: reversed values, nulls still last, ties still in time order', async () => {
    const sorted = await sortRows(stream(ROWS).rows, COLUMNS, { by: ['humidity'], direction: 'desc' });
    expect(times(sorted)).to.deep.equal([5n, 1n, 4n, 3n, 6n, 2n]);
  });

  it('several columns: the next breaks ties; time may be one of them; booleans as 0/1', async () => {
    const byTwo = await sortRows(stream(ROWS).rows, COLUMNS, { by: ['humidity', 'note'], direction: 'asc' });
    expect(times(byTwo)).to.deep.equal([6n, 3n, 4n, 1n, 5n, 2n]);
    const byOkThenTime = await sortRows(stream(ROWS).rows, COLUMNS, {
      by: ['ok', 'time'],
      direction: 'desc',
    });
    expect(times(byOkThenTime)).to.deep.equal([6n, 5n, 1n, 4n, 2n, 3n]);
  });

  it('cuts to the limit after sorting', async () => {
    const sorted = await sortRows(stream(ROWS).rows, COLUMNS, { by: ['note'], direction: 'asc', limit: 2 });
    expect(times(sorted)).to.deep.equal([2n, 4n]);
  });

  it('refuses a column the result does not have, naming those it has', async () => {
    const source = stream(ROWS);
    const refused = await sortRows(source.rows, COLUMNS, { by: ['weight'], direction: 'asc' }).catch(
      (e) => e,
    );
    expect(refused).to.be.instanceOf(QueryError);
    expect((refused as Error).message).to.equal(
      "cannot sort by 'weight': the export has no such column (it has time, humidity, note, ok)",
    );
  });

  it('refuses more rows than it may hold, and closes the row stream', async () => {
    const source = stream(ROWS);
    const refused = await sortRows(
      source.rows,
      COLUMNS,
      { by: ['note'], direction: 'asc' },
      { maxRows: 5 },
    ).catch((e) => e);
    expect(refused).to.be.instanceOf(QueryError);
    expect((refused as Error).message).to.match(/holds the rows in memory, at most 5; narrow from\/to/);
    expect(source.closedEarly()).to.equal(true);
    // Exactly at the bound is fine.
    expect(
      await sortRows(stream(ROWS).rows, COLUMNS, { by: ['note'], direction: 'asc' }, { maxRows: 6 }),
    ).to.have.length(6);
  });
});
