import { expect } from 'chai';
import { nsToIso } from '../../../lib/export/format/iso-time.js';

describe('nsToIso', () => {
  const cases: [bigint, string][] = [
    [0n, '1970-01-01T00:00:00Z'],
    [1n, '1970-01-01T00:00:00.000000001Z'],
    [1583810982123456789n, '2020-03-10T03:29:42.123456789Z'],
    [1583810982123456000n, '2020-03-10T03:29:42.123456Z'],
    [1583810982120000000n, '2020-03-10T03:29:42.12Z'],
    [1583810982500000000n, '2020-03-10T03:29:42.5Z'],
    [1583810982000000000n, '2020-03-10T03:29:42Z'],
    [1583810982999999999n, '2020-03-10T03:29:42.999999999Z'],
    [1583884799999999999n, '2020-03-10T23:59:59.999999999Z'],
    [1583884800000000000n, '2020-03-11T00:00:00Z'],
    [1582934400000000000n, '2020-02-29T00:00:00Z'],
    [-1n, '1969-12-31T23:59:59.999999999Z'],
    [-1_000_000_000n, '1969-12-31T23:59:59Z'],
    [-86_400_000_000_001n, '1969-12-30T23:59:59.999999999Z'],
    [4102444800000000000n, '2100-01-01T00:00:00Z'],
    [9223372036854775807n, '2262-04-11T23:47:16.854775807Z'],
  ];
  for (const [ns, iso] of cases) {
    it(`${ns} → ${iso}`, () => {
      expect(nsToIso(ns)).to.equal(iso);
    });
  }

  it('gives the same text as Date#toISOString for times with whole milliseconds, in any order', () => {
    // A fixed linear congruential sequence: reproducible, spread over 1900–2200, with runs in one second.
    let seed = 12345;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 5000; i++) {
      const ms = Math.floor(-2_208_988_800_000 + next() * 9_467_280_000_000);
      const steps = i % 3 === 0 ? [0, 1, 999, 1000] : [0];
      for (const step of steps) {
        const expected = new Date(ms + step)
          .toISOString()
          .replace(/\.?0+Z$/, 'Z')
          .replace(/\.Z$/, 'Z');
        expect(nsToIso(BigInt(ms + step) * 1_000_000n)).to.equal(expected);
      }
    }
  });
});
