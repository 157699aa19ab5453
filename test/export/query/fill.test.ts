import { expect } from 'chai';
import type { Cell } from '../../../lib/acquire/sink/sink.js';
import { QueryError } from '../../../lib/core/errors.js';
import { type FillMode, fillRows } from '../../../lib/export/query/fill.js';

type Row = [bigint, ...Cell[]];

async function* source(rows: readonly Row[]): AsyncGenerator<Row> {
  yield* rows;
}

async function fill(rows: readonly Row[], mode: FillMode, maxLookahead?: number): Promise<Row[]> {
  const out: Row[] = [];
  for await (const row of fillRows(source(rows), mode, { maxLookahead })) out.push(row);
  return out;
}

// Columns: a number, a string, a column that starts and ends with nulls.
const INPUT: Row[] = [
  [0n, 1, 'x', null],
  [10n, null, null, 5],
  [20n, null, 'y', null],
  [40n, 7, null, 9],
  [50n, null, null, null],
];

describe('fillRows', () => {
  const cases: [FillMode, Row[]][] = [
    [
      'pad',
      [
        [0n, 1, 'x', null],
        [10n, 1, 'x', 5],
        [20n, 1, 'y', 5],
        [40n, 7, 'y', 9],
        [50n, 7, 'y', 9],
      ],
    ],
    [
      'backfill',
      [
        [0n, 1, 'x', 5],
        [10n, 7, 'y', 5],
        [20n, 7, 'y', 9],
        [40n, 7, null, 9],
        [50n, null, null, null],
      ],
    ],
    [
      'interpolate',
      [
        [0n, 1, 'x', null],
        // Linear in time: 1 at t=0, 7 at t=40 → 2.5 at t=10, 4 at t=20; 5 at t=10, 9 at t=40 → 5 + 4/3
        // at t=20; strings are not interpolated.
        [10n, 2.5, null, 5],
        [20n, 4, 'y', 5 + (4 * 10) / 30],
        [40n, 7, null, 9],
        [50n, null, null, null],
      ],
    ],
  ];
  for (const [mode, expected] of cases) {
    it(`${mode}`, async () => {
      expect(await fill(INPUT, mode)).to.deep.equal(expected);
    });
  }

  it('never changes the input rows', async () => {
    const input: Row[] = INPUT.map((row): Row => [...row]);
    for (const mode of ['pad', 'backfill', 'interpolate'] as const) await fill(input, mode);
    expect(input).to.deep.equal(INPUT);
  });

  it('interpolates only between numbers, and uses the earlier value when both neighbours share a time', async () => {
    const rows: Row[] = [
      [0n, 'text'],
      [1n, null],
      [2n, 4],
      [3n, null],
      [4n, 'text'],
      [5n, 10],
      [5n, null],
      [5n, 20],
    ];
    expect(await fill(rows, 'interpolate')).to.deep.equal([
      [0n, 'text'],
      [1n, null],
      [2n, 4],
      [3n, null],
      [4n, 'text'],
      [5n, 10],
      [5n, 10],
      [5n, 20],
    ]);
  });

  it('interpolates in descending time order too', async () => {
    const rows: Row[] = [
      [30n, 30],
      [20n, null],
      [0n, 0],
    ];
    expect(await fill(rows, 'interpolate')).to.deep.equal([
      [30n, 30],
      [20n, 20],
      [0n, 0],
    ]);
  });

  it('backfill holds at most maxLookahead rows; a longer gap passes on its oldest rows unfilled', async () => {
    const rows: Row[] = [
      [0n, null],
      [1n, null],
      [2n, null],
      [3n, null],
      [4n, 8],
    ];
    expect(await fill(rows, 'backfill', 2)).to.deep.equal([
      [0n, null],
      [1n, null],
      [2n, 8],
      [3n, 8],
      [4n, 8],
    ]);
  });

  it('backfill streams: a column that stays null does not hold back more than maxLookahead rows', async () => {
    let produced = 0;
    let consumed = 0;
    let maxHeld = 0;
    async function* endless(): AsyncGenerator<Row> {
      for (let i = 0; i < 50_000; i++) {
        produced++;
        maxHeld = Math.max(maxHeld, produced - consumed);
        yield [BigInt(i), i, null];
      }
    }
    for await (const row of fillRows(endless(), 'backfill', { maxLookahead: 100 })) {
      consumed++;
      expect(row[2]).to.equal(null);
    }
    expect(consumed).to.equal(50_000);
    expect(maxHeld).to.be.at.most(102);
  });

  it('pad streams one row at a time', async () => {
    let produced = 0;
    async function* counted(): AsyncGenerator<Row> {
      for (let i = 0; i < 10; i++) {
        produced++;
        yield [BigInt(i), i % 2 === 0 ? i : null];
      }
    }
    const iterator = fillRows(counted(), 'pad')[Symbol.asyncIterator]();
    expect((await iterator.next()).value).to.deep.equal([0n, 0]);
    expect((await iterator.next()).value).to.deep.equal([1n, 0]);
    expect(produced).to.equal(2);
    await iterator.return?.();
  });

  it('rejects an unknown mode and a bad look-ahead with a QueryError', () => {
    expect(() => fillRows(source([]), 'linear' as FillMode)).to.throw(
      QueryError,
      /pad, backfill, interpolate/,
    );
    expect(() => fillRows(source([]), 'backfill', { maxLookahead: 0 })).to.throw(QueryError);
  });
});
