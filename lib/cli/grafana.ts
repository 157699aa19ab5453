import { errorMessage } from '../core/errors.js';
import { silentLog } from '../core/log.js';
import type { WriteOutcome } from '../grafana/provisioned-files.js';
import { GrafanaProvisioner } from '../grafana/provisioner.js';
import { EXIT_CONFIG } from './check.js';
import { type CommandOptions, commandSettings, EXIT_USAGE } from './command-settings.js';

/** What `daqd grafana` is run with. */
export type GrafanaCommandOptions = CommandOptions;

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
  const settings = await commandSettings(options);
  if (settings === undefined) return EXIT_CONFIG;
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
