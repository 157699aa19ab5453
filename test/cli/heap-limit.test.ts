import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { HEAP_LIMIT_FLAG, HEAP_LIMIT_MB } from '../../lib/cli/heap-limit.js';
import { ROOT } from '../support/daqd.js';

describe('heap limit', () => {
  it('is the one npm start and the systemd unit start daqd with', async () => {
    expect(HEAP_LIMIT_FLAG).to.equal(`--max-old-space-size=${HEAP_LIMIT_MB}`);
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['start']).to.equal(`node ${HEAP_LIMIT_FLAG} bin/daqd run --config etc/daqd.ini`);
    const unit = await readFile(path.join(ROOT, 'debian', 'daqd.service'), 'utf8');
    expect(unit).to.include(`\nEnvironment=NODE_OPTIONS=${HEAP_LIMIT_FLAG}\n`);
    // The environment file comes after it, so /etc/default/daqd can raise the limit.
    expect(unit.indexOf('EnvironmentFile=')).to.be.greaterThan(unit.indexOf('Environment=NODE_OPTIONS'));
  });
});
