import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  HEAP_LIMIT_FLAG,
  HEAP_LIMIT_MB,
  oldSpaceLimitMb,
  YOUNG_GENERATION_FLAG,
  YOUNG_GENERATION_MB,
} from '../../lib/cli/heap-limit.js';
import { DaemonProcess, freePort, ROOT } from '../support/daqd.js';

describe('heap limit', () => {
  it('is the one npm start and the systemd unit start daqd with, as is the young generation size', async () => {
    expect(HEAP_LIMIT_FLAG).to.equal(`--max-old-space-size=${HEAP_LIMIT_MB}`);
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['start']).to.equal(
      `node ${HEAP_LIMIT_FLAG} ${YOUNG_GENERATION_FLAG} bin/daqd run --config etc/daqd.ini`,
    );
    const unit = await readFile(path.join(ROOT, 'debian', 'daqd.service'), 'utf8');
    expect(unit).to.include(`\nEnvironment=NODE_OPTIONS=${HEAP_LIMIT_FLAG}\n`);
    expect(unit).to.include(
      `\nExecStart=/usr/bin/node ${YOUNG_GENERATION_FLAG} /usr/lib/daqd/bin/daqd run --config /etc/daqd/daqd.ini\n`,
    );
    // The environment file comes after it, so /etc/default/daqd can raise the limit.
    expect(unit.indexOf('EnvironmentFile=')).to.be.greaterThan(unit.indexOf('Environment=NODE_OPTIONS'));
  });

  it('is read from node options as node applies them: the command line wins over NODE_OPTIONS', () => {
    expect(oldSpaceLimitMb([HEAP_LIMIT_FLAG], undefined)).to.equal(HEAP_LIMIT_MB);
    expect(oldSpaceLimitMb([], '--enable-source-maps --max-old-space-size=256')).to.equal(256);
    expect(oldSpaceLimitMb(['--max_old_space_size=128'], '--max-old-space-size=256')).to.equal(128);
    expect(oldSpaceLimitMb(['--inspect'], '')).to.equal(undefined);
  });

  describe('through a daqd process', function () {
    this.timeout(30_000);
    let dir: string;
    let daemon: DaemonProcess | undefined;

    beforeEach(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'daqd-heap-'));
    });
    afterEach(async () => {
      await daemon?.stop();
      daemon = undefined;
      await rm(dir, { recursive: true, force: true });
    });

    it('logs the heap limit the README states', async () => {
      const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
      expect(readme).to.include(`V8 heap limit of ${HEAP_LIMIT_MB} MB`);
      const config = path.join(dir, 'daqd.ini');
      await writeFile(
        config,
        `[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\n[http]\nport = ${await freePort()}\n` +
          `[mqtt]\nembedded = true\nport = ${await freePort()}\n[storage]\nbackend = sqlite\n`,
      );
      // DaemonProcess starts node with HEAP_LIMIT_FLAG, as npm start does.
      daemon = new DaemonProcess(config);
      const line = await daemon.waitFor(/heap limit [^\n]*/);
      expect(line).to.match(new RegExp(`^heap limit ${HEAP_LIMIT_MB} MB \\(`));
      // DaemonProcess passes YOUNG_GENERATION_FLAG too: the young generation starts at its full size.
      const newSpace = /; new space (\d+) MB\)$/.exec(line);
      expect(newSpace, line).to.not.equal(null);
      expect(Number(newSpace?.[1])).to.be.at.least(YOUNG_GENERATION_MB);
    });
  });
});
