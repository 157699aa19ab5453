import { expect } from 'chai';
import { type BodyLine, bodyLines, bodyText } from '../../../lib/acquire/decode/text-lines.js';
import { DecodeError } from '../../../lib/core/errors.js';

async function* chunksOf(...chunks: (string | number[])[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
}

async function collect(lines: AsyncIterable<BodyLine>): Promise<[number, string][]> {
  const out: [number, string][] = [];
  for await (const line of lines) out.push([line.number, line.text]);
  return out;
}

describe('body text', () => {
  describe('bodyText', () => {
    it('joins the chunks as UTF-8, also a character split between two chunks', async () => {
      expect(await bodyText(chunksOf('a', [0xc3], [0xa4], 'b'))).to.equal('aäb');
    });

    it('refuses bytes that are not UTF-8', async () => {
      let thrown: unknown;
      try {
        await bodyText(chunksOf([0x61, 0xff]));
      } catch (err) {
        thrown = err;
      }
      expect(thrown).to.be.instanceOf(DecodeError);
      expect((thrown as Error).message).to.equal('request body is not valid UTF-8');
    });
  });

  describe('bodyLines', () => {
    it('splits lines across chunk boundaries, numbers them, strips CR, keeps a last line without a break', async () => {
      expect(
        await collect(bodyLines(chunksOf('a,b\r', '\nc', ',d\n\ne', [0xc3], [0xa4], 'f'))),
      ).to.deep.equal([
        [1, 'a,b'],
        [2, 'c,d'],
        [3, ''],
        [4, 'eäf'],
      ]);
      expect(await collect(bodyLines(chunksOf('x\n')))).to.deep.equal([[1, 'x']]);
      expect(await collect(bodyLines(chunksOf()))).to.deep.equal([]);
    });

    it('names the line that is not UTF-8', async () => {
      let thrown: unknown;
      try {
        await collect(bodyLines(chunksOf('ok\nok\n', [0x62, 0xff, 0x0a])));
      } catch (err) {
        thrown = err;
      }
      expect(thrown).to.be.instanceOf(DecodeError);
      expect((thrown as Error).message).to.equal('line 3 of the request body is not valid UTF-8');
    });
  });
});
