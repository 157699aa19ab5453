import { expect } from 'chai';
import type { QueryResult } from '../../../lib/acquire/sink/sink.js';
import type { Format } from '../../../lib/export/format/format.js';
import { type Row, renderBytes, resultOf, SAMPLE_COLUMNS, SAMPLE_META, sample } from './fixture.js';

/** Rows `[time, i]`, counting how many were pulled and whether the source was closed. */
function counted(count: number, state: { pulled: number; closed: boolean; fail?: Error }): QueryResult {
  return {
    columns: ['v'],
    rows: (async function* (): AsyncGenerator<Row> {
      try {
        for (let i = 0; i < count; i++) {
          if (state.fail !== undefined && i === 2) throw state.fail;
          state.pulled++;
          yield [1583810982000000000n + BigInt(i) * 1_000_000_000n, i];
        }
      } finally {
        state.closed = true;
      }
    })(),
  };
}

/**
 * The contract every export format keeps (see `Format` in lib/export/format/format.ts), run against the
 * same rows: the sample of fixture.ts (nanosecond times, nulls, quotes, escapes, booleans, a tag) and
 * generated ones. Each format's own tests check its exact bytes.
 */
export function describeFormatContract(format: Format): void {
  describe(`format contract: ${format.suffix}`, () => {
    it('names a lower-case suffix without a dot and a content type', () => {
      expect(format.suffix).to.match(/^[a-z0-9]+(\.[a-z0-9]+)*$/);
      expect(format.contentType).to.match(/^[a-z]+\/[a-z0-9.+-]+/);
    });

    it('renders the sample rows, with and without the time column', async () => {
      const withTime = await renderBytes(format, sample());
      expect(withTime.bytes.length).to.be.greaterThan(0);
      const withoutTime = await renderBytes(format, sample(), { ...SAMPLE_META, time: false });
      expect(withoutTime.bytes.length).to.be.greaterThan(0);
    });

    it('is pure: the same rows give the same bytes', async () => {
      const first = await renderBytes(format, sample());
      const second = await renderBytes(format, sample());
      if (format.contentType.startsWith('text/') || format.contentType.includes('json')) {
        expect(second.bytes.equals(first.bytes)).to.equal(true);
      } else {
        // A workbook carries its created/modified time (exceljs sets them, see xlsx.ts), and its zip
        // compresses that: the same rows give the same size give or take a few bytes.
        expect(second.bytes.length).to.be.within(first.bytes.length - 64, first.bytes.length + 64);
      }
    });

    it('renders columns without rows', async () => {
      const { bytes } = await renderBytes(format, resultOf(SAMPLE_COLUMNS, []));
      expect(bytes).to.be.instanceOf(Buffer);
    });

    it('reads the rows only as its chunks are pulled', async () => {
      const state = { pulled: 0, closed: false };
      const result = counted(50_000, state);
      const chunks = format.render(result, { ...SAMPLE_META, tagColumns: [] });
      expect(state.pulled, 'before the first pull').to.equal(0);
      const iterator = chunks[Symbol.asyncIterator]();
      await iterator.next();
      expect(state.pulled, 'after the first chunk').to.be.lessThan(50_000);
      await iterator.return?.();
      expect(state.closed, 'rows closed when the consumer leaves').to.equal(true);
    });

    it('passes an error of the row stream through to the consumer', async () => {
      const failure = new Error('store went away');
      const state = { pulled: 0, closed: false, fail: failure };
      let caught: unknown;
      try {
        await renderBytes(format, counted(10, state));
      } catch (err) {
        caught = err;
      }
      expect(caught).to.equal(failure);
      expect(state.closed).to.equal(true);
    });
  });
}
