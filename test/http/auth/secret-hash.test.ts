import { expect } from 'chai';
import { hashProblem, hashSecret, verifySecret } from '../../../lib/http/auth/secret-hash.js';
import { VerifiedCache } from '../../../lib/http/auth/verified-cache.js';

describe('secret hashes and the verified cache', () => {
  it('verifies the secret it hashed and nothing else; two hashes of one secret differ (salt)', async () => {
    const a = await hashSecret('correct horse');
    const b = await hashSecret('correct horse');
    expect(a).to.match(/^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.to.equal(b);
    expect(hashProblem(a)).to.equal(undefined);
    expect(await verifySecret('correct horse', a)).to.equal(true);
    expect(await verifySecret('correct horse ', a)).to.equal(false);
    expect(await verifySecret('', a)).to.equal(false);
  });

  it('refuses hashes it cannot read or that ask for too much work', async () => {
    expect(hashProblem('secret')).to.match(/not a hash/);
    const huge = (await hashSecret('x')).replace('ln=14', 'ln=30');
    expect(hashProblem(huge)).to.match(/ln=30 is out of range/);
    expect(await verifySecret('x', huge)).to.equal(false);
  });

  it('keeps verdicts per stored hash, and forgets the least recently used', () => {
    const cache = new VerifiedCache(2);
    const k1 = VerifiedCache.key('a', 'one');
    const k2 = VerifiedCache.key('b', 'two');
    const k3 = VerifiedCache.key('c', 'three');
    expect(k1).not.to.include('one');
    cache.set(k1, 'h1', true);
    cache.set(k2, 'h2', false);
    expect(cache.get(k1, 'h1')).to.equal(true);
    expect(cache.get(k2, 'h2')).to.equal(false);
    expect(cache.get(k1, 'changed'), 'a changed password makes the verdict stale').to.equal(undefined);
    cache.set(k1, 'h1', true);
    cache.set(k3, 'h3', true);
    expect(cache.size).to.equal(2);
    expect(cache.get(k2, 'h2'), 'least recently used goes first').to.equal(undefined);
    expect(cache.get(k3, 'h3')).to.equal(true);
  });
});
