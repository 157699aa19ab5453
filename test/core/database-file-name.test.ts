import { expect } from 'chai';
import { databaseToFileName, fileNameToDatabase } from '../../lib/core/database-file-name.js';

describe('core/database-file-name', () => {
  it("keeps Kotori's database names as they are", () => {
    for (const name of ['hiveeyes_testdrive', 'mqttkit_1_itest', 'A-b_9']) {
      expect(databaseToFileName(name)).to.equal(name);
    }
  });

  it('names every database safely and reversibly', () => {
    const names = ['hiveeyes_test/../x', 'a b.c', '..', '.', '*', '', 'ü/%2F', 'A', 'a', '%', '.hidden'];
    const files = names.map(databaseToFileName);
    expect(new Set(files).size).to.equal(names.length);
    for (const [i, file] of files.entries()) {
      expect(file).to.not.match(/^\.|[/\\*]/);
      expect(file).to.not.equal('');
      expect(fileNameToDatabase(file)).to.equal(names[i]);
    }
  });

  it('maps back only the exact spelling it makes', () => {
    expect(fileNameToDatabase('a.b')).to.equal(undefined);
    expect(fileNameToDatabase('a%2eb')).to.equal(undefined);
    expect(fileNameToDatabase('%zz')).to.equal(undefined);
    expect(fileNameToDatabase('a%2Eb')).to.equal('a.b');
  });
});
