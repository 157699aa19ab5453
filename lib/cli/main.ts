import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '../core/errors.js';
import { appFolders, runApps } from './apps.js';
import { runCheck } from './check.js';
import { EXIT_USAGE } from './command-settings.js';
import { configPath } from './config-path.js';
import { DEBUG_FLAG_OPTIONS, debugNamespaces } from './debug-flags.js';
import { DAQD_DIR, KOTORI_DIR, migrateKotori } from './migrate-kotori.js';

const HELP: Record<string, string> = {
  main: `Usage: daqd [command] [options]

daqd acquires sensor readings over MQTT and HTTP and stores them in InfluxDB
(or an embedded SQLite store). It reads Kotori's configuration files unchanged.

Commands:
  run                   run the daemon in the foreground (the default)
  check                 validate the main file and every enabled app
  apps list             list available and enabled realm apps
  apps enable NAME      enable apps-available/NAME.ini (symlink into apps-enabled/)
  apps disable NAME     disable an app (remove its symlink)
  poll REALM            run one polling round of REALM now (in the running daemon) and print
                        what it stored
  dead-letters list     list the points the store rejected for good, per database
  dead-letters replay [DATABASE...]
                        write them to the store again (after fixing the cause)
  passwd [--token] NAME set a user's password (or make a token) in the HTTP access file
  grafana write         write Grafana's provisioning files ([grafana]) once from the store
  migrate-kotori        copy Kotori's realm apps and enabled-app links into /etc/daqd

Options:
  -c, --config FILE     main configuration file (default: $DAQD_CONFIG, $KOTORI_CONFIG,
                        ./etc/daqd.ini, /etc/daqd/daqd.ini)
  -d, --debug           log at debug level
      --debug-mqtt, --debug-mqtt-driver, --debug-influx, --debug-io, --debug-vendor NAME[,NAME]
                        Kotori's flags (also read from $KOTORI_OPTS): debug lines of the realm
                        channels, the MQTT clients and built-in broker, the store, the HTTP API,
                        or the named realms only
      --dry-run         dead-letters replay, migrate-kotori: print what would be done, change nothing
      --token, --delete, --access-file FILE
                        passwd: make a token, remove the user, edit FILE instead of [http] access_file
      --from DIR, --to DIR
                        migrate-kotori: Kotori's and daqd's folders (default /etc/kotori, /etc/daqd)
  -v, --version         print the version and exit
  -h, --help            print help (also: daqd COMMAND --help)
`,
  run: `Usage: daqd run [--config FILE] [--debug] [--debug-mqtt] [--debug-mqtt-driver] [--debug-influx]
                [--debug-io] [--debug-vendor NAME[,NAME]]

Runs the daemon in the foreground until SIGTERM or SIGINT (a second signal exits at once).
SIGHUP re-reads every realm app, the HTTP access file and certificate. Exit codes: 0 clean stop, 1 start failed, 78 invalid configuration.
`,
  check: `Usage: daqd check [--config FILE]

Validates the main file and every enabled app and prints each problem as
'file:line: section.key: problem'. Exits 0 when all is well, 78 otherwise.
`,
  apps: `Usage: daqd apps list|enable NAME|disable NAME [--config FILE]

Manages the symlinks in apps-enabled/ that point into apps-available/ (like a2ensite).
'daqd apps enable hiverize' links apps-available/hiverize.ini. A running daemon picks the
change up within seconds.
`,
  poll: `Usage: daqd poll REALM [--config FILE]

Asks the running daemon to poll every URL of REALM's app now (poll_urls, or poll_url and
poll_hosts), without waiting for poll_interval and without jitter, and prints per URL the
readings stored, those stored before, the lines skipped and any error. The daemon runs the
round (its store, spool and delivered marks), reached over loopback at [http] listen and port.

Exit codes: 0 some URL answered, 1 every URL failed, 64 usage, 69 no daemon answers (or it
refused: the realm is not running or polls nothing), 78 invalid configuration.
`,
  'dead-letters': `Usage: daqd dead-letters list [--config FILE]
       daqd dead-letters replay [DATABASE...] [--config FILE] [--dry-run]

Points the store rejected for good (e.g. a field first written as a number, later as a string)
are kept in <data_dir>/dead-letter/<database>.ndjson. 'list' shows each database's file, its
points and the reasons, with counts.

Fix the cause first, e.g. rename the conflicting field in the file (InfluxDB 1.x remembers a
field's type even after DROP MEASUREMENT), then 'replay' writes the points of the named databases
(default: all) to the configured store: points it takes are removed from the file, points it
rejects again stay there. Lines that cannot be read are kept and shown. --dry-run prints the
points as line protocol and writes nothing.

Exit codes: 0 all replayed (or nothing to do), 1 points left in a file or the store unavailable
(then the file is left as it was), 64 usage, 78 invalid configuration.
`,
  passwd: `Usage: daqd passwd [--token | --delete] NAME [--access-file FILE] [--config FILE]

Writes NAME's scrypt hash into the [users] section of the HTTP access file ([http] access_file
of the main file, or --access-file FILE), creating the file (mode 0600) when it is missing.
The password is read from stdin (asked twice on a terminal), never from the command line.
--token makes a random token and prints it once as NAME.SECRET, for 'Authorization: Bearer
NAME.SECRET' (or Basic with user NAME and password SECRET). --delete removes NAME.
Then grant NAME scopes in a [realm:<realm>] section (read, write, admin) and send SIGHUP.

Exit codes: 0 done, 1 failed, 64 usage, 78 no access file configured.
`,
  grafana: `Usage: daqd grafana write [--config FILE]

Writes Grafana's provisioning files as the daemon keeps them with [grafana] enable = true: the
data sources (datasources_dir/daqd.yaml, one per database), the dashboard provider
(providers_dir/daqd.yaml) and a dashboard per database (dashboards_dir/<database>.json, a panel
per node and numeric field), from what the store holds now. Prints each file: written,
unchanged, or kept because it was edited by hand (a dashboard's new version then goes beside it
as <database>.daqd.json). Needs the InfluxDB store.

Exit codes: 0 done, 1 the store or a folder failed, 64 usage, 78 invalid configuration or
[grafana] not enabled.
`,
  'migrate-kotori': `Usage: daqd migrate-kotori [--from DIR] [--to DIR] [--dry-run]

Copies Kotori's realm apps (DIR/apps-available/*.ini, default /etc/kotori) into daqd's
apps-available/ (default /etc/daqd) and links the apps Kotori enables (its apps-enabled/) in
daqd's apps-enabled/, keeping every name. Files already there are never overwritten. Prints
what it copied, linked and skipped. Kotori's main file is not copied: daqd reads it as it is.

Exit codes: 0 done, 1 a file could not be copied or linked, 64 usage, 66 no Kotori apps in DIR.
`,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const err = (line: string) => process.stderr.write(`${line}\n`);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    err(`daqd: ${errorMessage(e)}`);
    err("Try 'daqd --help'.");
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  const [command = 'run', ...rest] = positionals;
  if (values.version) {
    out(`daqd ${version()}`);
    return 0;
  }
  const help = HELP[command === 'run' && positionals.length === 0 ? 'main' : command];
  if (values.help) {
    if (help === undefined) {
      err(`daqd: unknown command '${command}'`);
      return EXIT_USAGE;
    }
    out(help);
    return 0;
  }
  if ((values.token || values.delete || values['access-file'] !== undefined) && command !== 'passwd') {
    err(`daqd ${command}: --token, --delete and --access-file are for 'passwd' only`);
    return EXIT_USAGE;
  }
  if (values['dry-run'] && command !== 'dead-letters' && command !== 'migrate-kotori') {
    err(`daqd ${command}: --dry-run is for 'dead-letters replay' and 'migrate-kotori' only`);
    return EXIT_USAGE;
  }
  if ((values.from !== undefined || values.to !== undefined) && command !== 'migrate-kotori') {
    err(`daqd ${command}: --from and --to are for 'migrate-kotori' only`);
    return EXIT_USAGE;
  }
  const config = configPath(values.config, env);
  switch (command) {
    case 'run': {
      if (rest.length > 0) break;
      // Kotori's systemd unit passes $KOTORI_OPTS (from /etc/default/kotori) on its command line.
      let fromEnv: ReturnType<typeof parseKotoriOpts>;
      try {
        fromEnv = parseKotoriOpts(env['KOTORI_OPTS'] ?? '');
      } catch (e) {
        err(`daqd: $KOTORI_OPTS: ${errorMessage(e)}`);
        return EXIT_USAGE;
      }
      // Loaded on demand: check and apps need none of the daemon's dependencies.
      return (await import('./run.js')).runDaemon({
        configFile: config,
        env,
        debug: values.debug === true || fromEnv.debug === true,
        debugNamespaces: [...new Set([...debugNamespaces(values), ...debugNamespaces(fromEnv)])],
      });
    }
    case 'check':
      if (rest.length > 0) break;
      return runCheck(config, env, out, err);
    case 'apps':
      return runApps(rest, await appFolders(config, env), out, err);
    case 'poll':
      return (await import('./poll.js')).runPoll(rest, { configFile: config, env, out, err });
    case 'dead-letters':
      return (await import('./dead-letters.js')).runDeadLetters(rest, {
        configFile: config,
        env,
        dryRun: values['dry-run'] === true,
        debug: values.debug === true,
        out,
        err,
      });
    case 'grafana':
      return (await import('./grafana.js')).runGrafana(rest, { configFile: config, env, out, err });
    case 'passwd':
      if (values.token && values.delete) {
        err('daqd passwd: --token and --delete exclude each other');
        return EXIT_USAGE;
      }
      return (await import('./passwd.js')).runPasswd(rest, {
        configFile: config,
        env,
        accessFile: values['access-file'],
        token: values.token === true,
        remove: values.delete === true,
        input: process.stdin,
        out,
        err,
      });
    case 'migrate-kotori':
      if (rest.length > 0) break;
      return migrateKotori({
        from: path.resolve(values.from ?? KOTORI_DIR),
        to: path.resolve(values.to ?? DAQD_DIR),
        dryRun: values['dry-run'] === true,
        out,
        err,
      });
    default:
      err(`daqd: unknown command '${command}'`);
      err("Try 'daqd --help'.");
      return EXIT_USAGE;
  }
  err(`daqd ${command}: unexpected argument '${rest[0]}'`);
  return EXIT_USAGE;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      debug: { type: 'boolean', short: 'd' },
      'dry-run': { type: 'boolean' },
      token: { type: 'boolean' },
      delete: { type: 'boolean' },
      'access-file': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      version: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
      ...DEBUG_FLAG_OPTIONS,
    },
  });
}

/** Kotori's debug flags from `$KOTORI_OPTS` (words separated by blanks); anything else is refused. */
function parseKotoriOpts(value: string) {
  const args = value.split(/\s+/).filter((word) => word !== '');
  return parseArgs({
    args,
    allowPositionals: false,
    strict: true,
    options: { debug: { type: 'boolean', short: 'd' }, ...DEBUG_FLAG_OPTIONS },
  }).values;
}
