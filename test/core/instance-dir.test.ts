import { expect } from 'chai';
import { INSTANCE_ID_PATTERN, instanceDir, instanceIdProblem } from '../../lib/core/instance-dir.js';

describe('core/instance-dir', () => {
  it('is data_dir itself without an instance id, a folder of its own with one', () => {
    expect(instanceDir({ data_dir: '/var/lib/daqd' })).to.equal('/var/lib/daqd');
    expect(instanceDir({ data_dir: '/var/lib/daqd', instance_id: '' })).to.equal('/var/lib/daqd');
    expect(instanceDir({ data_dir: '/var/lib/daqd', instance_id: 'a-1' })).to.equal(
      '/var/lib/daqd/instances/a-1',
    );
  });

  it('takes letters, digits, _ and - up to 64; says what is wrong otherwise', () => {
    for (const good of ['', 'a', 'A_b-9', 'x'.repeat(64)])
      expect(instanceIdProblem(good), good).to.equal(undefined);
    for (const bad of ['..', 'a/b', 'a b', 'ä', 'x'.repeat(65)]) {
      expect(instanceIdProblem(bad), bad).to.be.a('string');
      expect(INSTANCE_ID_PATTERN.test(bad), bad).to.equal(false);
    }
  });
});
