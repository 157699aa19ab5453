import { existsSync } from 'node:fs';
import path from 'node:path';

/** Where the Debian package installs the main file. */
export const SYSTEM_CONFIG = '/etc/daqd/daqd.ini';

/**
 * The main file to use: `--config`, else `$DAQD_CONFIG`, else Kotori's `$KOTORI_CONFIG`,
 * else `etc/daqd.ini` in the current folder (a checkout), else the system file.
 */
export function configPath(option: string | undefined, env: NodeJS.ProcessEnv): string {
  const chosen = option ?? env['DAQD_CONFIG'] ?? env['KOTORI_CONFIG'];
  if (chosen !== undefined && chosen !== '') return path.resolve(chosen);
  const local = path.resolve('etc/daqd.ini');
  return existsSync(local) ? local : SYSTEM_CONFIG;
}
