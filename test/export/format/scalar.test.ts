import { expect } from 'chai';
import { NotFoundError } from '../../../lib/core/errors.js';
import { renderScalar } from '../../../lib/export/format/scalar.js';
import { type Row, resultOf } from './fixture.js';

describe('renderScalar', () => {
  it('gives the first non-null value of the field as plain text', async () => {
    const result = resultOf(
      ['a', 'b'],
      [
        [1n, null, 'x'],
        [2n, 21.5, 'y'],
        [3n, 22, 'z'],
      ],
    );
    expect(await renderScalar(result, 'a')).to.equal('21.5');
    expect(await renderScalar(resultOf(['b'], [[1n, 'x y']]), 'b')).to.equal('x y');
    expect(await renderScalar(resultOf(['ok'], [[1n, false]]), 'ok')).to.equal('false');
  });

  it('stops reading at the value and closes the row stream', async () => {
    let read = 0;
    let closed = false;
    async function* rows(): AsyncGenerator<Row> {
      try {
        for (let i = 0; i < 1000; i++) {
          read++;
          yield [BigInt(i), i];
        }
      } finally {
        closed = true;
      }
    }
    expect(await renderScalar({ columns: ['n'], rows: rows() }, 'n')).to.equal('0');
    expect(read).to.equal(1);
    expect(closed).to.equal(true);
  });

  it('throws NotFoundError for an unknown field and for a field without values', async () => {
    let caught: unknown;
    try {
      await renderScalar(resultOf(['a'], [[1n, 1]]), 'nope');
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(NotFoundError).with.property('message').that.contains("'nope'");

    caught = undefined;
    try {
      await renderScalar(resultOf(['a'], [[1n, null]]), 'a');
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(NotFoundError);
  });
});
