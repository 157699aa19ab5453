import { expect } from 'chai';
import {
  parseLineOrReason,
  parseLineProtocol,
  precisionToNs,
} from '../../../lib/acquire/decode/line-protocol.js';
import {
  lineEnd,
  needsCarefulSplit,
  PIECE_BYTES,
  pieceEnd,
  quickCheckLine,
} from '../../../lib/acquire/decode/line-protocol-scan.js';
import { lineCorpus, randomLines } from './line-protocol-corpus.js';

const UNITS = ['ns', 'u', 'ms', 's', 'm', 'h'].map((p) => precisionToNs(p)!);

/** The quick check of a whole (trimmed) line. */
function quick(line: string, unit: bigint): number {
  return quickCheckLine(line, 0, line.length, Number(unit));
}

/**
 * The quick check's promise, for one line: when it takes the line, the full reader reads it too, its
 * fields end where the quick check says (the head alone reads as the same line without a time), and
 * what follows is blanks and the timestamp the full reader read.
 */
function expectSameReading(line: string, unit: bigint): boolean {
  const fieldsEnd = quick(line, unit);
  if (fieldsEnd === -1) return false;
  const full = parseLineOrReason(line, unit);
  expect(full, line).to.be.an('object');
  if (typeof full === 'string') return true;
  const head = parseLineOrReason(line.slice(0, fieldsEnd), unit);
  expect(head, line).to.deep.equal({ ...full, time: undefined });
  const rest = line.slice(fieldsEnd).trimStart();
  expect(rest === '' ? undefined : BigInt(rest) * unit, line).to.equal(full.time);
  return true;
}

describe('acquire/decode/line-protocol-scan', () => {
  describe('quickCheckLine takes only what the full reader reads the same way', () => {
    it('over a corpus of every escaping rule, value type, bad line and range edge, in every precision', () => {
      let taken = 0;
      for (const unit of UNITS) for (const line of lineCorpus) if (expectSameReading(line, unit)) taken++;
      // Not vacuous: the plain lines of the corpus are taken.
      expect(taken).to.be.greaterThan(lineCorpus.length);
    });

    it('over 20,000 random lines made of the characters that matter', () => {
      let taken = 0;
      let valid = 0;
      const lines = randomLines(20_000, 7);
      for (const [i, line] of lines.entries()) {
        const unit = UNITS[i % UNITS.length]!;
        if (typeof parseLineOrReason(line, unit) !== 'string') valid++;
        if (expectSameReading(line, unit)) taken++;
      }
      expect(valid).to.be.greaterThan(1000);
      expect(taken).to.be.greaterThan(500);
    });

    const plain: [string, string][] = [
      ['a tag and floats', 'cpu,host=a usage=1.5,idle=98 1700000000000000000'],
      ['no tags, no time', 'm v=1'],
      ['integers, booleans and a plain string', 'm i=-42i,b=true,B=F,s="a, b = c" 5'],
      ['an = and a quote in the measurement, a quote in a tag', 'a=b"c,t="x" v=.5'],
      ['unicode names and strings', 'mesure,lieu=Zürich température=21.5,note="☃" 1'],
      ['several spaces before the fields and the time', 'm,t=v   v=1    5'],
      ['a string holding a newline', 'm s="one\ntwo" 1'],
    ];
    for (const [name, line] of plain) {
      it(`takes ${name}`, () => {
        expect(expectSameReading(line, 1n), line).to.equal(true);
      });
    }

    const forFull: [string, string, bigint][] = [
      ['a backslash in a name', String.raw`a\ b v=1`, 1n],
      ['a backslash in a string', String.raw`m s="a\"b"`, 1n],
      ['a quote in a field key', 'm a"b=1', 1n],
      ['an unsigned value (refused later, with its own message)', 'm v=1u', 1n],
      ['an integer of 19 digits', 'm v=1234567890123456789i', 1n],
      ['a float with an exponent', 'm v=1e3', 1n],
      ['a time at the edge of the range', 'm v=1 9223372036854775806', 1n],
      ['a time in seconds beyond the range', 'm v=1 9223372036', precisionToNs('s')!],
      ['duplicate tags', 'm,a=1,b=2,a=3 v=1', 1n],
      ['seventeen tags', `m,${Array.from({ length: 17 }, (_, i) => `t${i}=v`).join(',')} v=1`, 1n],
      ['a bad line', 'm v=abc', 1n],
    ];
    for (const [name, line, unit] of forFull) {
      it(`leaves ${name} to the full reader`, () => {
        expect(quick(line, unit)).to.equal(-1);
      });
    }
  });

  describe('lineEnd and pieceEnd', () => {
    it('split a body where the full reader splits it, over text and over bytes', () => {
      const bodies = [
        'a v=1\nb v=2\n',
        'm s="x\ny" 1\nm s="z" 2',
        'm,t="q\nr" v=1\nn v=2',
        'a\\\nb v=1\nc v=2',
        'm s="open\nn v=1',
        '\n\n  m v=1\r\n# c\n',
        ...randomLines(300, 11).map((line, i, all) => `${line}\n${all[(i + 1) % all.length]}`),
      ];
      for (const body of bodies) {
        const careful = needsCarefulSplit(body);
        expect(needsCarefulSplit(Buffer.from(body)), body).to.equal(careful);
        const texts: string[] = [];
        for (let at = 0; at < body.length; ) {
          const end = lineEnd(body, at, careful);
          texts.push(body.slice(at, end));
          at = end + 1;
        }
        const bytes = Buffer.from(body);
        const fromBytes: string[] = [];
        for (let at = 0; at < bytes.length; ) {
          const end = lineEnd(bytes, at, careful);
          fromBytes.push(bytes.toString('utf8', at, end));
          at = end + 1;
        }
        expect(fromBytes, body).to.deep.equal(texts);
        // Only bodies without quotes and backslashes may split at every newline.
        if (!careful) expect(texts).to.deep.equal(body.split('\n').slice(0, texts.length));
      }
    });

    it('cut a large body into pieces of whole lines, each within PIECE_BYTES, strings with newlines kept whole', () => {
      for (const careful of [false, true]) {
        const lines: string[] = [];
        for (let i = 0, length = 0; length < 5 * PIECE_BYTES; i++) {
          const line =
            careful && i % 7 === 0 ? `m s="ü\n${'x'.repeat(i % 300)}" ${i}` : `mé,t=${i % 9} v=${i} ${i}`;
          lines.push(line);
          length += line.length + 1;
        }
        const body = Buffer.from(lines.join('\n'));
        expect(needsCarefulSplit(body)).to.equal(careful);
        const read: string[] = [];
        let pieces = 0;
        for (let at = 0; at < body.length; pieces++) {
          const end = pieceEnd(body, at, careful);
          expect(end - at).to.be.at.most(PIECE_BYTES);
          expect(end === body.length || body[end - 1] === 0x0a).to.equal(true);
          const text = body.toString('utf8', at, end);
          read.push(...parseLineProtocol(text, 1n).lines.map((l) => JSON.stringify(l, bigints)));
          at = end;
        }
        expect(pieces).to.be.at.least(5);
        const whole = parseLineProtocol(body.toString('utf8'), 1n);
        expect(whole.problems).to.deep.equal([]);
        expect(read).to.deep.equal(whole.lines.map((l) => JSON.stringify(l, bigints)));
      }
    });

    it('lets a line longer than a piece be a piece of its own', () => {
      const long = `m s="${'y'.repeat(PIECE_BYTES + 10)}" 1`;
      for (const body of [
        Buffer.from(`a v=1\n${long}\nb v=2`),
        Buffer.from(`a v=1\nm v=${'1'.repeat(PIECE_BYTES)}\nb v=2`),
      ]) {
        const careful = needsCarefulSplit(body);
        const first = pieceEnd(body, 0, careful);
        const second = pieceEnd(body, first, careful);
        expect(body.toString('utf8', 0, first)).to.equal('a v=1\n');
        expect(body.toString('utf8', second)).to.equal('b v=2');
      }
    });
  });
});

function bigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}
