import { expect } from 'chai';
import { parseNumericText } from '../../../lib/acquire/decode/numeric-text.js';
import { numericTextCases } from './numeric-text.fixtures.js';

describe('parseNumericText', () => {
  for (const [text, expected] of numericTextCases) {
    it(`${JSON.stringify(text)} → ${String(expected)}`, () => {
      const value = parseNumericText(text);
      if (expected === undefined) expect(value).to.equal(undefined);
      else if (Number.isNaN(expected)) expect(value).to.be.NaN;
      else expect(value).to.equal(expected);
    });
  }
});
