import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { requireBinary } from './child-processes.js';

/** A headless Debian chromium driven by playwright-core, with a profile in a temp dir. */
export interface Chromium {
  context: BrowserContext;
  /** Closes the browser and removes its profile. Idempotent. */
  stop(): Promise<void>;
}

/** `$CHROMIUM`, then Debian's path; throws naming the Debian package (no browser is downloaded). */
function findChromium(): string {
  return requireBinary('chromium', [process.env['CHROMIUM'], '/usr/bin/chromium'], 'chromium');
}

/** Starts chromium headless, without network services of its own, on a fresh profile. */
export async function startChromium(): Promise<Chromium> {
  const executablePath = findChromium();
  const profile = await mkdtemp(join(tmpdir(), 'daqd-chromium-'));
  let context: BrowserContext;
  try {
    // launchPersistentContext passes the profile as --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1100, height: 820 },
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  let stopped = false;
  return {
    context,
    async stop() {
      if (stopped) return;
      stopped = true;
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
