import path from 'node:path';
import type { Sink } from '../acquire/sink/sink.js';
import type { GrafanaSettings } from '../config/grafana-keys.js';
import { errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { Point } from '../core/point.js';
import { dashboardCopy, dashboardUid, networkDashboard } from './dashboard.js';
import { datasourcesYaml } from './datasource-file.js';
import { FieldCatalog } from './field-catalog.js';
import { providerYaml } from './provider-file.js';
import { ProvisionedFiles, type WriteOutcome } from './provisioned-files.js';
import { readStoreFields } from './store-fields.js';

/** Wait after a new node or field before the files are written: a burst of news is one write. */
export const DEFAULT_DEBOUNCE_MS = 2000;

/** Name of daqd's file in `datasources_dir` and in `providers_dir`. */
export const PROVISIONING_FILE = 'daqd.yaml';

/** What the provisioner works with. */
export interface GrafanaProvisionerContext {
  settings: GrafanaSettings;
  /** `[daqd] data_dir`: the record of written files goes to `<data_dir>/grafana/`. */
  dataDir: string;
  sink: Sink;
  log: Log;
  /** Wait before writing after news, ms. Default `DEFAULT_DEBOUNCE_MS`. */
  debounceMs?: number | undefined;
}

/** The dashboard file of a database: its name when that makes a plain file name, else its uid. */
export function dashboardFileName(database: string, suffix = '.json'): string {
  return (/^[a-zA-Z0-9_-]+$/.test(database) ? database : dashboardUid(database)) + suffix;
}

/**
 * Keeps Grafana's provisioning files current: the data source file (a data source per database),
 * the dashboard provider file, and a dashboard per database with a panel per node and field.
 * `start` reads what the store holds and writes every file; `onStored` (after each stored batch)
 * notes new databases, nodes and fields and rewrites the files they touch, debounced. A file someone
 * edited is never overwritten (`ProvisionedFiles`): a dashboard's new version goes beside it as
 * `<name>.daqd.json`, a YAML file's into `<data_dir>/grafana/` (Grafana reads every YAML file of its
 * folders, and two definitions of one data source would clash). Never throws into the write path:
 * a failure is logged once and the files are tried again on the next change.
 */
export class GrafanaProvisioner {
  private readonly catalog = new FieldCatalog();
  private readonly files: ProvisionedFiles;
  private readonly dirty = new Set<string>();
  private datasourcesDirty = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private lastError: string | undefined;
  private readonly warned = new Set<string>();
  private stopped = false;

  constructor(private readonly ctx: GrafanaProvisionerContext) {
    this.files = new ProvisionedFiles({ record: path.join(this.asideDir, 'files.json') });
  }

  /** `<data_dir>/grafana`: the record, and daqd's versions of edited YAML files. */
  private get asideDir(): string {
    return path.join(this.ctx.dataDir, 'grafana');
  }

  /**
   * Reads the store and writes every file. A failure (the store not answering) is logged, not thrown:
   * the files are written on the next change.
   */
  async start(): Promise<void> {
    try {
      await this.writeAll();
      this.lastError = undefined;
    } catch (err) {
      this.failed(err);
    }
  }

  /** Reads the store's databases, nodes and fields and writes every file now; resolves to what became of each. */
  writeAll(): Promise<WriteOutcome[]> {
    return this.serialize(async () => {
      await readStoreFields(this.ctx.sink, this.catalog);
      return this.writeFiles(this.catalog.databaseNames(), true);
    });
  }

  /** After a batch is stored: notes what is new and schedules a write. Never throws. */
  onStored(database: string, points: readonly Point[]): void {
    if (this.stopped) return;
    try {
      const isNewDatabase = this.catalog.addDatabase(database);
      if (!this.catalog.addPoints(database, points) && !isNewDatabase) return;
      this.dirty.add(database);
      if (isNewDatabase) this.datasourcesDirty = true;
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.ctx.debounceMs ?? DEFAULT_DEBOUNCE_MS);
    } catch (err) {
      this.failed(err);
    }
  }

  /** Writes what is pending now (also what a debounce still waits for). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const databases = [...this.dirty];
    const datasources = this.datasourcesDirty;
    this.dirty.clear();
    this.datasourcesDirty = false;
    if (databases.length === 0 && !datasources) return this.running;
    return this.serialize(async () => {
      try {
        await this.writeFiles(databases, datasources);
        this.lastError = undefined;
      } catch (err) {
        // Tried again with the next change.
        for (const database of databases) this.dirty.add(database);
        this.datasourcesDirty ||= datasources;
        this.failed(err);
      }
      return [];
    }).then(() => {});
  }

  /** Writes what is pending and stops taking news. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.flush();
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.running.then(fn);
    this.running = next.then(
      () => {},
      () => {},
    );
    return next;
  }

  private async writeFiles(databases: readonly string[], datasources: boolean): Promise<WriteOutcome[]> {
    const { settings, log } = this.ctx;
    const outcomes: WriteOutcome[] = [];
    if (datasources) {
      const provider = providerYaml({ dashboardsDir: settings.dashboards_dir, folder: settings.folder });
      outcomes.push(
        await this.files.write(
          { file: path.join(settings.providers_dir, PROVISIONING_FILE), content: provider },
          { file: path.join(this.asideDir, 'provider.yaml'), content: provider },
        ),
      );
      const yaml = datasourcesYaml(this.catalog.databaseNames(), {
        url: settings.influxdb_url,
        username: settings.influxdb_username,
        password: settings.influxdb_password,
      });
      outcomes.push(
        await this.files.write(
          { file: path.join(settings.datasources_dir, PROVISIONING_FILE), content: yaml },
          { file: path.join(this.asideDir, 'datasources.yaml'), content: yaml },
        ),
      );
    }
    for (const database of databases) {
      const dashboard = networkDashboard(this.catalog.dashboardContent(database));
      const outcome = await this.files.write(
        {
          file: path.join(settings.dashboards_dir, dashboardFileName(database)),
          content: `${JSON.stringify(dashboard, null, 2)}\n`,
        },
        {
          file: path.join(settings.dashboards_dir, dashboardFileName(database, '.daqd.json')),
          content: `${JSON.stringify(dashboardCopy(dashboard), null, 2)}\n`,
        },
      );
      outcomes.push(outcome);
      const panels = dashboard.panels.filter((p) => (p as { type?: string }).type === 'timeseries').length;
      if (outcome.state === 'written') {
        log.info(`grafana: wrote dashboard '${dashboard.uid}' of database '${database}' (${panels} panels)`);
      }
    }
    for (const outcome of outcomes) this.report(outcome);
    return outcomes;
  }

  /** One warning per edited file (again only once it was daqd's in between). */
  private report(outcome: WriteOutcome): void {
    if (outcome.state !== 'kept') {
      this.warned.delete(outcome.file);
      return;
    }
    if (this.warned.has(outcome.file)) return;
    this.warned.add(outcome.file);
    this.ctx.log.warning(
      `grafana: '${outcome.file}' was edited by hand; left as it is` +
        (outcome.aside === undefined
          ? ''
          : outcome.aside.state === 'kept'
            ? `, and so was '${outcome.aside.file}'`
            : `, daqd's version written to '${outcome.aside.file}'`),
    );
  }

  private failed(err: unknown): void {
    const message = errorMessage(err);
    if (message === this.lastError) return;
    this.lastError = message;
    this.ctx.log.error(`grafana: writing the provisioning files failed: ${message}`);
  }
}
