import { expect } from 'chai';
import { jsonReadingOver, looksLikeJson } from '../../../lib/acquire/decode/json-value-count.js';

const over = (text: string, max: number) => jsonReadingOver(Buffer.from(text), max);

describe('jsonReadingOver', () => {
  it('counts the scalar values of each reading, nested ones and nulls included, not the keys', () => {
    expect(over('{"a": 1, "b": "x", "c": null}', 3)).to.equal(false);
    expect(over('{"a": 1, "b": "x", "c": null}', 2)).to.equal(true);
    expect(over('{"a": {"b": [1, 2, 3], "c": true}}', 4)).to.equal(false);
    expect(over('{"a": {"b": [1, 2, 3], "c": true}}', 3)).to.equal(true);
    // Strings with quotes, braces and colons inside are one value.
    expect(over('{"k\\"{:": "v,}\\\\", "n": -1.5e3}', 2)).to.equal(false);
  });

  it('counts per reading: a bulk array and JSON lines of small readings pass', () => {
    const bulk = JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ v: i, w: i })));
    expect(over(bulk, 2)).to.equal(false);
    expect(over('{"a":1,"b":2}\n{"a":1,"b":2}\n', 2)).to.equal(false);
    expect(over('{"a":1}\n{"a":1,"b":2,"c":3}\n', 2)).to.equal(true);
  });

  it('refuses a 200,000-key object in well under a second', () => {
    const huge = JSON.stringify(Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`f${i}`, i])));
    const started = performance.now();
    expect(over(huge, 1000)).to.equal(true);
    expect(performance.now() - started).to.be.below(500);
  });

  it('tells JSON objects and arrays from other payloads', () => {
    expect(looksLikeJson(Buffer.from('  {"a":1}'))).to.equal(true);
    expect(looksLikeJson(Buffer.from('[1]'))).to.equal(true);
    expect(looksLikeJson(Buffer.from('21.5'))).to.equal(false);
    expect(looksLikeJson(Buffer.from(''))).to.equal(false);
  });
});
