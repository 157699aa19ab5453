import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ProvisionedFiles } from '../../lib/grafana/provisioned-files.js';

describe('grafana: ProvisionedFiles', () => {
  let dir: string;
  let record: string;
  let target: string;
  let aside: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-provisioned-'));
    record = path.join(dir, 'var', 'files.json');
    target = path.join(dir, 'x.json');
    aside = path.join(dir, 'x.daqd.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a new file and records its hash', async () => {
    const files = new ProvisionedFiles({ record });
    expect(await files.write({ file: target, content: 'one' })).to.deep.equal({
      file: target,
      state: 'written',
    });
    expect(await readFile(target, 'utf8')).to.equal('one');
    const hashes = JSON.parse(await readFile(record, 'utf8')) as Record<string, string>;
    expect(Object.keys(hashes)).to.deep.equal([target]);
    expect(hashes[target]).to.match(/^[0-9a-f]{64}$/);
  });

  it('does not touch a file that already holds the content', async () => {
    const files = new ProvisionedFiles({ record });
    await files.write({ file: target, content: 'one' });
    const before = await stat(target);
    await new Promise((r) => setTimeout(r, 20));
    expect((await files.write({ file: target, content: 'one' })).state).to.equal('unchanged');
    const after = await stat(target);
    expect(after.ino).to.equal(before.ino);
    expect(after.mtimeMs).to.equal(before.mtimeMs);
  });

  it('replaces its own earlier version, also after a restart (the record is on disk)', async () => {
    await new ProvisionedFiles({ record }).write({ file: target, content: 'one' });
    const files = new ProvisionedFiles({ record });
    expect((await files.write({ file: target, content: 'two' })).state).to.equal('written');
    expect(await readFile(target, 'utf8')).to.equal('two');
  });

  it('keeps an edited file and writes its version aside instead', async () => {
    const files = new ProvisionedFiles({ record });
    await files.write({ file: target, content: 'one' });
    await writeFile(target, 'mine');
    const outcome = await files.write({ file: target, content: 'two' }, { file: aside, content: 'two-copy' });
    expect(outcome).to.deep.equal({ file: target, state: 'kept', aside: { file: aside, state: 'written' } });
    expect(await readFile(target, 'utf8')).to.equal('mine');
    expect(await readFile(aside, 'utf8')).to.equal('two-copy');
    // Still kept on every later write; the copy follows the content.
    const later = await new ProvisionedFiles({ record }).write(
      { file: target, content: 'three' },
      { file: aside, content: 'three-copy' },
    );
    expect(later.state).to.equal('kept');
    expect(await readFile(target, 'utf8')).to.equal('mine');
    expect(await readFile(aside, 'utf8')).to.equal('three-copy');
  });

  it('never overwrites a file it did not write (no record of it)', async () => {
    await writeFile(target, 'theirs');
    const outcome = await new ProvisionedFiles({ record }).write({ file: target, content: 'ours' });
    expect(outcome).to.deep.equal({ file: target, state: 'kept', aside: undefined });
    expect(await readFile(target, 'utf8')).to.equal('theirs');
  });

  it('takes the file back once the edited one is removed, and removes its untouched copy', async () => {
    const files = new ProvisionedFiles({ record });
    await files.write({ file: target, content: 'one' });
    await writeFile(target, 'mine');
    await files.write({ file: target, content: 'two' }, { file: aside, content: 'copy' });
    await rm(target);
    const outcome = await files.write({ file: target, content: 'two' }, { file: aside, content: 'copy' });
    expect(outcome.state).to.equal('written');
    expect(existsSync(aside)).to.equal(false);
    const hashes = JSON.parse(await readFile(record, 'utf8')) as Record<string, string>;
    expect(Object.keys(hashes)).to.deep.equal([target]);
  });

  it('leaves a copy that was edited too', async () => {
    const files = new ProvisionedFiles({ record });
    await files.write({ file: target, content: 'one' });
    await writeFile(target, 'mine');
    await files.write({ file: target, content: 'two' }, { file: aside, content: 'copy' });
    await writeFile(aside, 'my copy');
    const outcome = await files.write({ file: target, content: 'three' }, { file: aside, content: 'copy 3' });
    expect(outcome).to.deep.equal({
      file: target,
      state: 'kept',
      aside: { file: aside, state: 'kept', aside: undefined },
    });
    expect(await readFile(aside, 'utf8')).to.equal('my copy');
  });

  it('counts every file as edited when the record cannot be read (overwrites nothing)', async () => {
    await new ProvisionedFiles({ record }).write({ file: target, content: 'one' });
    await writeFile(record, '{not json');
    const outcome = await new ProvisionedFiles({ record }).write({ file: target, content: 'two' });
    expect(outcome.state).to.equal('kept');
    expect(await readFile(target, 'utf8')).to.equal('one');
  });

  it('keeps entries another process recorded meanwhile', async () => {
    const a = new ProvisionedFiles({ record });
    const b = new ProvisionedFiles({ record });
    await a.write({ file: target, content: 'one' });
    await b.write({ file: path.join(dir, 'y.json'), content: 'y' });
    await a.write({ file: target, content: 'two' });
    const hashes = JSON.parse(await readFile(record, 'utf8')) as Record<string, string>;
    expect(Object.keys(hashes).sort()).to.deep.equal([target, path.join(dir, 'y.json')]);
  });
});
