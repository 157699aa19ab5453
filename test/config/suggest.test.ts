import { expect } from 'chai';
import { closestName, didYouMean } from '../../lib/config/suggest.js';

describe('config/suggest', () => {
  const keys = ['mqtt_topics', 'listen', 'port', 'host', 'pool_size', 'embedded', 'application', 'vendor'];
  const cases: Array<[string, string | undefined]> = [
    ['mqtt_topic', 'mqtt_topics'],
    ['lisen', 'listen'],
    ['prot', 'port'], // a swap of neighbours is one slip
    ['pto', undefined], // two edits are too many for a short key
    ['hots', 'host'],
    ['pool_sise', 'pool_size'],
    ['embeded', 'embedded'],
    ['applicaton', 'application'],
    ['vendr', 'vendor'],
    ['frobnicate', undefined],
    ['port', undefined], // the key itself is not a suggestion
  ];
  for (const [name, expected] of cases) {
    it(`${name} → ${expected ?? 'no suggestion'}`, () => {
      expect(closestName(name, keys)).to.equal(expected);
      expect(didYouMean(name, keys)).to.equal(expected === undefined ? '' : ` (did you mean '${expected}'?)`);
    });
  }
});
