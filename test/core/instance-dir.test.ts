import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  INSTANCE_ID_PATTERN,
  instanceDir,
  instanceIdProblem,
  readingsLeftInDataDir,
} from '../../lib/core/instance-dir.js';

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

  it('names the spool and dead letters a run without instance id left in data_dir', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'daqd-instance-dir-'));
    try {
      await mkdir(path.join(dir, 'spool', 'db'), { recursive: true });
      await mkdir(path.join(dir, 'dead-letter'));
      // Folders the spool keeps after delivering everything, and an emptied dead-letter file: nothing left.
      await writeFile(path.join(dir, 'dead-letter', 'db.ndjson'), '');
      expect(await readingsLeftInDataDir({ data_dir: dir, instance_id: 'a' })).to.deep.equal([]);
      await writeFile(path.join(dir, 'spool', 'db', '1.batch'), 'x');
      expect(await readingsLeftInDataDir({ data_dir: dir, instance_id: 'a' })).to.deep.equal([
        path.join(dir, 'spool'),
      ]);
      await writeFile(path.join(dir, 'dead-letter', 'db.ndjson'), '{}\n');
      expect(await readingsLeftInDataDir({ data_dir: dir, instance_id: 'a' })).to.have.length(2);
      // Without an instance id they are this daqd's own.
      expect(await readingsLeftInDataDir({ data_dir: dir, instance_id: '' })).to.deep.equal([]);
      expect(
        await readingsLeftInDataDir({ data_dir: path.join(dir, 'none'), instance_id: 'a' }),
      ).to.deep.equal([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
