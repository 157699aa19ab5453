import { loadMainSettings } from '../config/load.js';
import { errorMessage } from '../core/errors.js';
import { silentLog } from '../core/log.js';
import type { WriteOutcome } from '../grafana/provisioned-files.js';
import { GrafanaProvisioner } from '../grafana/provisioner.js';
import { EXIT_CONFIG } from './check.js';

/** EX_USAGE: a bad subcommand or option. */
const EXIT_USAGE = 64;

/** What `daqd grafana` is run with. */
export interface GrafanaCommandOptions {
  configFile: string;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * `daqd grafana write`: writes Grafana's provisioning files once from what the store holds, as the
 * daemon does at start, and prints what became of each file. Exit codes: 0 done, 1 the store or a
 * folder failed, 64 usage, 78 invalid configuration or `[grafana] enable` not true.
 */
export async function runGrafana(args: readonly string[], options: GrafanaCommandOptions): Promise<number> {
  const { out, err } = options;
  const [action, ...extra] = args;
  if (action !== 'write') {
    err(
      action === undefined
        ? "daqd grafana: expected 'write'"
        : `daqd grafana: unknown action '${action}' (use write)`,
    );
    return EXIT_USAGE;
  }
  if (extra.length > 0) {
    err(`daqd grafana write: unexpected argument '${extra[0]}'`);
    return EXIT_USAGE;
  }
  const main = await loadMainSettings(options.configFile, options.env);
  if (main.problems.length > 0) {
    for (const problem of main.problems) err(problem.format());
    err(`daqd: ${options.configFile}: invalid configuration`);
    return EXIT_CONFIG;
  }
  const { settings } = main;
  if (settings.grafana === undefined || settings.influxdb === undefined) {
    err(
      `daqd grafana write: ${settings.file}: [grafana] enable is not true ` +
        '(set it, with datasources_dir, providers_dir and dashboards_dir)',
    );
    return EXIT_CONFIG;
  }
  const { InfluxSink } = await import('../acquire/sink/influxdb.js');
  const sink = new InfluxSink({ settings: settings.influxdb, log: silentLog() });
  try {
    await sink.start();
    const provisioner = new GrafanaProvisioner({
      settings: settings.grafana,
      dataDir: settings.daqd.data_dir,
      sink,
      log: silentLog(),
    });
    for (const outcome of await provisioner.writeAll()) out(describe(outcome));
    return 0;
  } catch (e) {
    err(`daqd grafana write: ${errorMessage(e)}`);
    return 1;
  } finally {
    await sink.stop();
  }
}

function describe(outcome: WriteOutcome): string {
  if (outcome.state !== 'kept') return `${outcome.state} ${outcome.file}`;
  const aside = outcome.aside;
  return (
    `kept ${outcome.file} (edited by hand)` +
    (aside === undefined ? '' : `; daqd's version: ${aside.state} ${aside.file}`)
  );
}
