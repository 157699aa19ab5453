import { expect } from 'chai';
import { parseJsonExact } from '../../../lib/acquire/decode/json-exact.js';
import { decodeSlot } from '../../../lib/acquire/decode/slot.js';
import { parseTimestamp } from '../../../lib/acquire/sanitize/timestamp.js';

describe('parseJsonExact', () => {
  it('keeps every digit of an integer a double cannot hold, as a bigint', () => {
    expect(parseJsonExact('{"timestamp": 1583810982123456789}')).to.deep.equal({
      timestamp: 1583810982123456789n,
    });
    expect(parseJsonExact('[-1583810982123456789, 9007199254740993]')).to.deep.equal([
      -1583810982123456789n,
      9007199254740993n,
    ]);
    // JSON.parse rounds it: the reason for this module.
    expect(String(JSON.parse('1583810982123456789'))).to.equal('1583810982123456800');
  });

  it('keeps a fraction a double would round as its text, which reads as the exact time', () => {
    const value = parseJsonExact('{"time": 1583810982.123456789, "v": 1.0000000000000001}') as Record<
      string,
      unknown
    >;
    expect(value).to.deep.equal({ time: '1583810982.123456789', v: '1.0000000000000001' });
    expect(parseTimestamp(value['time'], 'UTC')).to.equal(1583810982123456789n);
    expect(parseJsonExact('1.583810982123456789e18')).to.equal('1.583810982123456789e18');
  });

  it('gives every other value exactly what JSON.parse gives', () => {
    for (const text of [
      '{"temperature": 21.5, "n": 9007199254740991, "s": "1583810982123456789", "b": true, "z": null}',
      '[0.1, -0, 1e400, -1e400, 1e-400, 2.50, 1234567890.123456, 0.0000000000000001]',
      '{"a": 1, "a": 2, "nested": {"deep": [1, {"x": "y"}]}}',
      '{"__proto__": 1, "constructor": 2}',
      '"12345678901234567890"',
    ]) {
      const exact = parseJsonExact(text);
      const native = JSON.parse(text);
      expect(exact, text).to.deep.equal(native);
      expect(Object.getPrototypeOf(exact), text).to.equal(Object.getPrototypeOf(native));
    }
    const proto = parseJsonExact('{"__proto__": {"polluted": 1}, "t": 1583810982123456789}') as object;
    expect(Object.keys(proto)).to.deep.equal(['__proto__', 't']);
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  });

  it('a key given twice keeps its last value (as JSON.parse), also on the exact path', () => {
    expect(parseJsonExact('{"t": 1, "t": 1583810982123456789}')).to.deep.equal({ t: 1583810982123456789n });
  });

  it("throws JSON.parse's SyntaxError for text that is not JSON, on either path", () => {
    for (const text of ['{"v": }', '{"t": 1583810982123456789', '[1583810982123456789,]', '']) {
      let native: unknown;
      try {
        JSON.parse(text);
      } catch (err) {
        native = err;
      }
      expect(() => parseJsonExact(text), text).to.throw(SyntaxError, (native as Error).message);
    }
  });

  it('is what an MQTT JSON slot decodes with', () => {
    const decoded = decodeSlot('data.json', Buffer.from('[{"timestamp": 1583810982123456789, "v": 1}]'));
    expect(decoded).to.deep.equal({ kind: 'data', readings: [{ timestamp: 1583810982123456789n, v: 1 }] });
  });
});
