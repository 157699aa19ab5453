import { loadMainSettings } from '../config/load.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import { createLog } from '../core/log.js';
import { Daemon } from '../daemon.js';
import { EXIT_CONFIG } from './check.js';
import { heapLimitText } from './heap-limit.js';

/**
 * `daqd run`: validates the main file (exit 78 on problems), starts the daemon and runs until
 * SIGTERM/SIGINT. The first signal drains and stops within `shutdown_timeout`; a second exits at once.
 * SIGHUP re-reads the realm apps (and the embedded broker's access files). A failed start (e.g. the HTTP port in use) is one line and exit 1.
 */
export async function runDaemon(options: {
  configFile: string;
  env: NodeJS.ProcessEnv;
  debug: boolean;
  /** Namespaces that log at debug whatever the level (Kotori's `--debug-mqtt` and the like). */
  debugNamespaces?: readonly string[];
}): Promise<number> {
  const log = createLog(options.debug ? 'debug' : 'info', options.debugNamespaces);
  const main = await loadMainSettings(options.configFile, options.env);
  for (const problem of main.problems) process.stderr.write(`${problem.format()}\n`);
  if (main.problems.length > 0) {
    process.stderr.write(`daqd: ${options.configFile}: invalid configuration; not started\n`);
    await log.close();
    return EXIT_CONFIG;
  }
  const { settings } = main;
  if (!options.debug) log.setLevel(settings.daqd.log_level);
  for (const note of main.notes) log.info(note);
  for (const warning of main.warnings) log.warning(warning);
  if (options.debugNamespaces !== undefined && options.debugNamespaces.length > 0) {
    log.info(`debug lines of ${options.debugNamespaces.map((ns) => `'${ns}'`).join(', ')}`);
  }
  log.info(
    `daqd ${process.pid}: configuration '${settings.file}', node ${process.version}, heap limit ${heapLimitText()}`,
  );

  const daemon = new Daemon({ settings, log });
  let exitCode = 0;
  let signalled = 0;
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  const onStop = (signal: NodeJS.Signals) => {
    signalled++;
    if (signalled > 1) {
      log.warning(`${signal} again: exiting now`);
      process.exit(130);
    }
    log.notice(`${signal}: stopping (draining up to ${settings.daqd.shutdown_timeout} s)`);
    // The drain has its own deadline; this is the backstop should anything hang past it.
    const backstop = setTimeout(
      () => {
        log.warning('shutdown deadline passed; exiting');
        process.exit(exitCode);
      },
      settings.daqd.shutdown_timeout * 1000 + 2000,
    );
    backstop.unref();
    void daemon.stop().then(resolveStopped);
  };
  const onHangup = () => {
    log.notice('SIGHUP: re-reading realm apps and access files');
    void daemon.hangup();
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onHangup);

  try {
    await daemon.start();
  } catch (err) {
    log.error(`daqd: ${errorMessage(err)}`);
    // An access file broken between the check and the start is a configuration problem too.
    exitCode = err instanceof ConfigError ? EXIT_CONFIG : 1;
    await daemon.stop(0);
    resolveStopped();
  }
  await stopped;
  process.off('SIGTERM', onStop);
  process.off('SIGINT', onStop);
  process.off('SIGHUP', onHangup);
  await log.close();
  return exitCode;
}
