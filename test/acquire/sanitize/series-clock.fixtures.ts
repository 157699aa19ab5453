/** A sequence of stamps on one SeriesClock: each step is [seriesKey, receivedAt, expected stamp]. */
export interface SeriesClockCase {
  name: string;
  maxKeys?: number;
  steps: [string, bigint, bigint][];
}

export const seriesClockCases: SeriesClockCase[] = [
  {
    name: 'passes increasing receive times through',
    steps: [
      ['a', 1000n, 1000n],
      ['a', 2000n, 2000n],
      ['a', 2001n, 2001n],
    ],
  },
  {
    name: 'the same receive time twice: one nanosecond later',
    steps: [
      ['a', 1000n, 1000n],
      ['a', 1000n, 1001n],
      ['a', 1000n, 1002n],
      ['a', 1001n, 1003n],
      ['a', 5000n, 5000n],
    ],
  },
  {
    name: 'a receive time that went backwards: still after the last stamp',
    steps: [
      ['a', 5000n, 5000n],
      ['a', 4000n, 5001n],
    ],
  },
  {
    name: 'series are independent',
    steps: [
      ['a', 1000n, 1000n],
      ['b', 1000n, 1000n],
      ['a', 1000n, 1001n],
      ['b', 1000n, 1001n],
    ],
  },
  {
    name: 'beyond maxKeys the least recently stamped series is forgotten',
    maxKeys: 2,
    steps: [
      ['a', 1000n, 1000n],
      ['b', 1000n, 1000n],
      ['a', 1000n, 1001n], // a is now the most recent
      ['c', 1000n, 1000n], // forgets b
      ['a', 1000n, 1002n], // a remembered
      ['b', 1000n, 1000n], // b forgotten: starts afresh (and forgets c)
      ['c', 1000n, 1000n], // c forgotten too
    ],
  },
];
