import { expect } from 'chai';
import { textChunks } from '../../../lib/export/format/text-chunks.js';

async function* numbers(count: number): AsyncGenerator<number> {
  for (let i = 0; i < count; i++) yield i;
}

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const list: string[] = [];
  for await (const chunk of chunks) list.push(chunk);
  return list;
}

describe('textChunks', () => {
  it('frames rows with head, separator and tail and cuts chunks by row count', async () => {
    const chunks = await collect(
      textChunks(numbers(5), String, { head: '[', separator: ',', tail: ']', rowsPerChunk: 2 }),
    );
    expect(chunks).to.deep.equal(['[0,1', ',2,3', ',4]']);
  });

  it('cuts chunks by size too', async () => {
    const chunks = await collect(textChunks(numbers(4), () => 'x'.repeat(10), { charsPerChunk: 15 }));
    expect(chunks).to.deep.equal(['x'.repeat(20), 'x'.repeat(20)]);
  });

  it('emits head and tail for no rows', async () => {
    expect(await collect(textChunks(numbers(0), String, { head: '[', tail: ']' }))).to.deep.equal(['[]']);
    expect(await collect(textChunks(numbers(0), String))).to.deep.equal([]);
  });

  it('drops rows rendered as empty text, without a separator for them', async () => {
    const chunks = await collect(
      textChunks(numbers(5), (n) => (n % 2 === 0 ? String(n) : ''), { separator: ',', rowsPerChunk: 100 }),
    );
    expect(chunks).to.deep.equal(['0,2,4']);
  });

  it('passes on an error of the row stream', async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error('store went away');
    }
    let caught: unknown;
    try {
      await collect(textChunks(failing(), String));
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(Error).with.property('message', 'store went away');
  });
});
