import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DAQD, ROOT } from '../support/daqd.js';

describe('cli: bin/daqd', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-bin-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('in a checkout that was never built, says in one line to build it', async () => {
    // The shim alone, where a fresh clone has it: bin/daqd with no dist/ beside it.
    await mkdir(path.join(dir, 'bin'));
    await copyFile(DAQD, path.join(dir, 'bin', 'daqd'));
    const child = spawn(process.execPath, [path.join(dir, 'bin', 'daqd'), '--version'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(output).to.equal("daqd: not built yet: run 'npm run build' (or 'npm install') first\n");
    expect(code).to.not.equal(0);
  });

  it('is built by npm install (and npm ci): package.json prepares the build', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['prepare']).to.equal('npm run build');
    // The daemon, then the web view's scripts and pages (dist/web), in one build step.
    expect(pkg.scripts['build']).to.match(/^tsc -p tsconfig\.json && tsc -p web\/tsconfig\.json && /);
  });
});
