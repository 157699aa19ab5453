import { loadMainSettings } from '../config/load.js';
import type { Settings } from '../config/settings.js';

/** EX_USAGE: a bad subcommand, argument or option. */
export const EXIT_USAGE = 64;

/** What a `daqd` subcommand that reads the main file is run with. */
export interface CommandOptions {
  configFile: string;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * The main file's settings for a subcommand; when the file is invalid, its problems and one line
 * saying so are printed, and undefined comes back (the command exits 78 then).
 */
export async function commandSettings(options: CommandOptions): Promise<Settings | undefined> {
  const main = await loadMainSettings(options.configFile, options.env);
  if (main.problems.length === 0) return main.settings;
  for (const problem of main.problems) options.err(problem.format());
  options.err(`daqd: ${options.configFile}: invalid configuration`);
  return undefined;
}
