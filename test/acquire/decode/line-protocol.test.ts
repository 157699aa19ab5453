import { expect } from 'chai';
import {
  type LineFieldValue,
  type ParsedLine,
  parseLineProtocol,
  precisionToNs,
} from '../../../lib/acquire/decode/line-protocol.js';
import { lineToPoint } from '../../../lib/acquire/sanitize/line-points.js';
import { DecodeError } from '../../../lib/core/errors.js';

const f = (value: number): LineFieldValue => ({ type: 'float', value });
const i = (value: bigint): LineFieldValue => ({ type: 'integer', value });
const s = (value: string): LineFieldValue => ({ type: 'string', value });
const b = (value: boolean): LineFieldValue => ({ type: 'boolean', value });

function one(text: string, precision = 1n): ParsedLine {
  const { lines, problems } = parseLineProtocol(text, precision);
  expect(problems, text).to.deep.equal([]);
  expect(lines, text).to.have.length(1);
  return lines[0]!;
}

describe('acquire/decode/line-protocol', () => {
  describe('names: every escaping rule (InfluxDB line protocol reference)', () => {
    const cases: [string, string, Partial<ParsedLine>][] = [
      ['plain', 'm,t=v f=1 5', { measurement: 'm', tags: { t: 'v' }, fields: { f: f(1) }, time: 5n }],
      ['space in measurement', String.raw`my\ m f=1`, { measurement: 'my m' }],
      ['comma in measurement', String.raw`my\,m f=1`, { measurement: 'my,m' }],
      ['= in measurement needs no escape', 'a=b f=1', { measurement: 'a=b' }],
      ['\\= in measurement is kept as written', String.raw`a\=b f=1`, { measurement: String.raw`a\=b` }],
      [
        'space, comma, = in tag key and value',
        String.raw`m,t\ k\,e\=y=v\ a\,l\=ue f=1`,
        { tags: { 't k,e=y': 'v a,l=ue' } },
      ],
      [
        'space, comma, =, quote in field key',
        String.raw`m f\ k\,e\=y\"q=1`,
        { fields: { 'f k,e=y"q': f(1) } },
      ],
      [
        'other backslashes are kept',
        String.raw`back\slash,t\ag=C:\temp fi\eld=1`,
        { measurement: String.raw`back\slash`, tags: { [String.raw`t\ag`]: String.raw`C:\temp` } },
      ],
      ['double backslash in a tag value', String.raw`m,t=a\\b f=1`, { tags: { t: String.raw`a\\b` } }],
      ['quote in a tag value is a plain character', 'm,t="x" f=1', { tags: { t: '"x"' } }],
    ];
    for (const [name, text, expected] of cases) {
      it(name, () => {
        const line = one(text);
        for (const [key, value] of Object.entries(expected)) {
          expect(line[key as keyof ParsedLine], key).to.deep.equal(value);
        }
      });
    }
  });

  describe('string field values', () => {
    const cases: [string, string, string][] = [
      ['escaped quote', String.raw`m s="say \"hi\""`, 'say "hi"'],
      ['escaped backslash', String.raw`m s="a\\b"`, String.raw`a\b`],
      ['lone backslash kept', String.raw`m s="a\b"`, String.raw`a\b`],
      ['comma, space, = inside', 'm s="a, b = c"', 'a, b = c'],
      ['empty', 'm s=""', ''],
      ['unicode', 'm s="ünï ☃"', 'ünï ☃'],
      ['newline inside', 'm s="one\ntwo"', 'one\ntwo'],
    ];
    for (const [name, text, expected] of cases) {
      it(name, () => {
        expect(one(text).fields['s']).to.deep.equal(s(expected));
      });
    }

    it('a newline inside a string does not end the line', () => {
      const { lines } = parseLineProtocol('m s="a\nb",n=1i 7\nm s="c" 8', 1n);
      expect(lines.map((line) => [line.fields['s'], line.time])).to.deep.equal([
        [s('a\nb'), 7n],
        [s('c'), 8n],
      ]);
    });
  });

  describe('value types', () => {
    const cases: [string, LineFieldValue][] = [
      ['1', f(1)],
      ['-1.5', f(-1.5)],
      ['.5', f(0.5)],
      ['1.', f(1)],
      ['1e3', f(1000)],
      ['-1.5E-3', f(-0.0015)],
      ['42i', i(42n)],
      ['-42i', i(-42n)],
      ['9223372036854775807i', i(9223372036854775807n)],
      ['-9223372036854775808i', i(-9223372036854775808n)],
      ['18446744073709551615u', { type: 'unsigned', value: 18446744073709551615n }],
      ...['t', 'T', 'true', 'True', 'TRUE'].map((t): [string, LineFieldValue] => [t, b(true)]),
      ...['f', 'F', 'false', 'False', 'FALSE'].map((t): [string, LineFieldValue] => [t, b(false)]),
    ];
    for (const [text, expected] of cases) {
      it(`${text} is ${expected.type}`, () => {
        expect(one(`m v=${text}`).fields['v']).to.deep.equal(expected);
      });
    }
  });

  describe('bad lines are reported with InfluxDB wording, the others read', () => {
    const bad: [string, RegExp][] = [
      ['m', /missing fields/],
      ['m ', /missing field/],
      ['m f', /missing field value/],
      ['m f=', /missing field value/],
      ['m f=abc', /invalid field value/],
      ['m f=1x', /invalid field value/],
      ['m f=9223372036854775808i', /out of range/],
      ['m f=-1u', /invalid field value/],
      ['m f=18446744073709551616u', /out of range/],
      ['m,t f=1', /missing tag value/],
      ['m,t= f=1', /missing tag value/],
      ['m,=v f=1', /missing tag key/],
      ['m,t=a,t=b f=1', /duplicate tags/],
      [',t=v f=1', /missing measurement/],
      ['m f=1 12x', /bad timestamp/],
      ['m f=1 1.5', /bad timestamp/],
      ['m =1', /missing field key/],
    ];
    for (const [text, reason] of bad) {
      it(JSON.stringify(text), () => {
        const { lines, problems } = parseLineProtocol(`ok v=1\n${text}\nok v=2`, 1n);
        expect(lines.map((line) => line.fields['v'])).to.deep.equal([f(1), f(2)]);
        expect(problems).to.have.length(1);
        expect(problems[0]!.line).to.equal(2);
        expect(problems[0]!.message).to.match(new RegExp(`^unable to parse '${escapeRegExp(text)}': `));
        expect(problems[0]!.message).to.match(reason);
      });
    }

    it('an unclosed string runs to the end of the body (newlines are allowed in strings)', () => {
      const { lines, problems } = parseLineProtocol('ok v=1\nm f="open\nok v=2', 1n);
      expect(lines.map((line) => line.fields['v'])).to.deep.equal([f(1)]);
      expect(problems).to.have.length(1);
      expect(problems[0]!.message).to.match(/^unable to parse 'm f="open\nok v=2': unbalanced quotes$/);
    });

    it('skips blank lines, comment lines, leading and trailing blanks and CRLF line ends', () => {
      const { lines, problems } = parseLineProtocol('# comment\r\n\r\n  m v=1 5\r\n\tm v=2 6  \n', 1n);
      expect(problems).to.deep.equal([]);
      expect(lines.map((line) => line.time)).to.deep.equal([5n, 6n]);
    });

    it('an empty body has no lines and no problems', () => {
      expect(parseLineProtocol('', 1n)).to.deep.equal({ lines: [], problems: [] });
    });
  });

  describe('timestamps and precision', () => {
    const cases: [string, string, bigint][] = [
      ['', '1700000000123456789', 1700000000123456789n],
      ['n', '1700000000123456789', 1700000000123456789n],
      ['ns', '1700000000123456789', 1700000000123456789n],
      ['u', '1700000000123456', 1700000000123456000n],
      ['us', '1700000000123456', 1700000000123456000n],
      ['ms', '1700000000123', 1700000000123000000n],
      ['s', '1700000000', 1700000000000000000n],
      ['m', '28333333', 1699999980000000000n],
      ['h', '472222', 1699999200000000000n],
      ['s', '-1', -1000000000n],
    ];
    for (const [precision, stamp, ns] of cases) {
      it(`precision '${precision}': ${stamp} → ${ns} ns exactly`, () => {
        const unit = precisionToNs(precision);
        expect(unit).to.be.a('bigint');
        expect(one(`m v=1 ${stamp}`, unit).time).to.equal(ns);
      });
    }

    it('knows no other precision', () => {
      for (const p of ['x', 'S', 'sec', 'd']) expect(precisionToNs(p), p).to.equal(undefined);
    });

    it('a line without a timestamp has none; a time past int64 is a problem', () => {
      expect(one('m v=1').time).to.equal(undefined);
      const { problems } = parseLineProtocol('m v=1 9223372036854775', precisionToNs('s')!);
      expect(problems[0]?.message).to.match(/time outside range/);
    });
  });

  describe('lineToPoint (sanitize)', () => {
    it('keeps names and types exactly; a line without a time gets the receive time', () => {
      const line = one(String.raw`a\ b,t\=k=v\,w f\ 1=1.5,n=7i,s="x",b=true`);
      expect(lineToPoint(line, 99n)).to.deep.equal({
        measurement: 'a b',
        tags: { 't=k': 'v,w' },
        fields: { 'f 1': 1.5, n: 7n, s: 'x', b: true },
        time: 99n,
      });
    });

    it('refuses an unsigned integer with a DecodeError', () => {
      expect(() => lineToPoint(one('m v=5u 1'), 0n)).to.throw(DecodeError, /unsigned/);
    });

    it('keeps a field named __proto__ as a field', () => {
      const point = lineToPoint(one('m __proto__=1 1'), 0n);
      expect(Object.keys(point.fields)).to.deep.equal(['__proto__']);
    });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
