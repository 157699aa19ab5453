import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Services the tests started and that still run: killed should the test process exit without a teardown. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Keeps `child` on the list of running services until it exits. */
export function trackChild(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** The first executable `name` among `fixed` paths and then `$PATH`, or undefined. */
export function findBinary(name: string, fixed: readonly (string | undefined)[]): string | undefined {
  const candidates = fixed.filter((c): c is string => c !== undefined && c !== '');
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) if (dir) candidates.push(join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** Like `findBinary`, but a missing binary throws one line that names the Debian package to install. */
export function requireBinary(
  name: string,
  fixed: readonly (string | undefined)[],
  debianPackage: string,
): string {
  const binary = findBinary(name, fixed);
  if (binary === undefined) throw new Error(`${name} not found: apt-get install ${debianPackage}`);
  return binary;
}
