import { expect } from 'chai';
import { jsonErrorOffset } from '../../../lib/acquire/decode/json-error-offset.js';

describe('jsonErrorOffset', () => {
  it('finds nothing wrong in valid JSON, whatever JSON.parse accepts', () => {
    const valid = [
      '{}',
      '[]',
      ' {"a": [1, -2.5e3, true, false, null, "x\\"y\\u00e4"], "b": {"c": {}}} ',
      '"text"',
      '0',
      `{"deep": ${'['.repeat(5000)}${']'.repeat(5000)}}`,
    ];
    for (const text of valid) {
      JSON.parse(text);
      expect(jsonErrorOffset(text), text.slice(0, 40)).to.equal(undefined);
    }
  });

  it('points at the first character that makes the text invalid', () => {
    const cases: [string, number][] = [
      ['', 0],
      ['{', 1],
      ['{"a" 1}', 5],
      ['{"a": }', 6],
      ['{"a": 1,}', 8],
      ['[1, 2', 5],
      ['[1 2]', 3],
      ['{"a": 01}', 7],
      ['{"a": tru}', 6],
      ['{"a": "x\ny"}', 6],
      ['{} x', 3],
      ["{'a': 1}", 1],
      ['[1,]', 3],
    ];
    for (const [text, offset] of cases) {
      expect(() => JSON.parse(text), text).to.throw(SyntaxError);
      expect(jsonErrorOffset(text), JSON.stringify(text)).to.equal(offset);
    }
  });

  it('does not overflow the stack on deep nesting', () => {
    expect(jsonErrorOffset(`${'['.repeat(200_000)}x`)).to.equal(200_000);
  });
});
