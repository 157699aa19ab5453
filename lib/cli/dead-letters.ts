import { type DeadLetter, type DeadLetterFile, DeadLetterStore } from '../acquire/deliver/dead-letter.js';
import { pointsToLineProtocol } from '../acquire/sink/line-protocol.js';
import type { Sink } from '../acquire/sink/sink.js';
import type { Settings } from '../config/settings.js';
import { errorMessage, StorageError } from '../core/errors.js';
import { instanceDir } from '../core/instance-dir.js';
import { type Log, silentLog } from '../core/log.js';
import type { Point } from '../core/point.js';
import { EXIT_CONFIG } from './check.js';
import { type CommandOptions, commandSettings, EXIT_USAGE } from './command-settings.js';

/** Points per write while replaying: small, so a rejected batch is quickly narrowed down point by point. */
const REPLAY_BATCH = 100;

/** What `daqd dead-letters` is run with. */
export interface DeadLettersOptions extends CommandOptions {
  /** `replay --dry-run`: print what would be written, write nothing. */
  dryRun: boolean;
  /** Show the store's own log lines. */
  debug: boolean;
}

/**
 * `daqd dead-letters list` and `daqd dead-letters replay [DATABASE...] [--dry-run]`.
 * Exit codes: 0 all replayed (or nothing to do), 1 points left in a file (rejected again or
 * unreadable) or the store unavailable, 64 usage, 78 invalid configuration.
 */
export async function runDeadLetters(args: readonly string[], options: DeadLettersOptions): Promise<number> {
  const { err } = options;
  const [action, ...databases] = args;
  if (action !== 'list' && action !== 'replay') {
    err(
      action === undefined
        ? "daqd dead-letters: expected 'list' or 'replay'"
        : `daqd dead-letters: unknown action '${action}' (use list or replay)`,
    );
    return EXIT_USAGE;
  }
  if (action === 'list' && databases.length > 0) {
    err(`daqd dead-letters list: unexpected argument '${databases[0]}'`);
    return EXIT_USAGE;
  }
  if (action === 'list' && options.dryRun) {
    err("daqd dead-letters list: --dry-run is for 'replay' only");
    return EXIT_USAGE;
  }
  const settings = await commandSettings(options);
  if (settings === undefined) return EXIT_CONFIG;
  // `DAQD_DAQD_INSTANCE_ID` picks the instance whose dead letters these are.
  const store = new DeadLetterStore({ dataDir: instanceDir(settings.daqd) });
  return action === 'list' ? list(store, options) : replay(store, databases, settings, options);
}

async function list(store: DeadLetterStore, { out }: DeadLettersOptions): Promise<number> {
  const summaries = await store.list();
  if (summaries.length === 0) {
    out(`no dead letters in ${store.folder}`);
    return 0;
  }
  for (const s of summaries) {
    out(`database '${s.database}': ${plural(s.points, 'point')} in ${s.file}`);
    for (const { reason, count } of s.reasons) out(`  ${count}  ${reason || '(no reason recorded)'}`);
    if (s.unreadable > 0) out(`  ${plural(s.unreadable, 'unreadable line')} (kept; fix or remove by hand)`);
  }
  return 0;
}

async function replay(
  store: DeadLetterStore,
  names: readonly string[],
  settings: Settings,
  options: DeadLettersOptions,
): Promise<number> {
  const { out } = options;
  const databases = names.length > 0 ? [...new Set(names)] : await store.databases();
  const files: DeadLetterFile[] = [];
  for (const database of databases) {
    const contents = await store.read(database);
    if (contents.letters.length === 0 && contents.unreadable.length === 0) {
      if (names.length > 0) out(`database '${database}': no dead letters (${contents.file})`);
      continue;
    }
    files.push(contents);
  }
  if (files.length === 0) {
    if (names.length === 0) out(`no dead letters in ${store.folder}`);
    return 0;
  }
  const backend = settings.storage.backend;
  if (options.dryRun) {
    for (const contents of files) {
      out(
        `database '${contents.database}': would write ${plural(contents.letters.length, 'point')} to ${backend} (${contents.file})`,
      );
      for (const letter of contents.letters) out(`  ${describe(letter.point)}`);
      reportUnreadable(contents, options);
    }
    return 0;
  }

  const sink = await openSink(settings, options);
  let leftOver = false;
  try {
    try {
      await sink.start();
    } catch (e) {
      options.err(
        `daqd dead-letters: storage '${sink.kind}' unavailable (${errorMessage(e)}); nothing replayed`,
      );
      return 1;
    }
    for (const contents of files) {
      const kept = await replayFile(sink, contents, options);
      if (kept === undefined) return 1;
      await store.rewrite(contents.name, kept, { after: contents.size });
      if (kept.length > 0) leftOver = true;
    }
  } finally {
    await sink.stop();
  }
  return leftOver ? 1 : 0;
}

/**
 * Writes the points of one file back. Returns the lines to keep (rejected again, unreadable), in file
 * order, or undefined when the store failed in a way that may pass (then nothing is to change).
 */
async function replayFile(
  sink: Sink,
  contents: DeadLetterFile,
  { out, err }: DeadLettersOptions,
): Promise<string[] | undefined> {
  const rejected: Array<{ letter: DeadLetter; reason: string }> = [];
  let stored = 0;
  try {
    for (const [database, letters] of byDatabase(contents.letters)) {
      for (let at = 0; at < letters.length; at += REPLAY_BATCH) {
        const batch = letters.slice(at, at + REPLAY_BATCH);
        const failure = await tryWrite(
          sink,
          database,
          batch.map((l) => l.point),
        );
        if (failure === undefined) {
          stored += batch.length;
          continue;
        }
        if (batch.length === 1) {
          rejected.push({ letter: batch[0]!, reason: failure });
          continue;
        }
        // Which points of the batch does the store refuse? Those it took are written again: a point
        // written twice is kept once (the Sink contract), so this is safe.
        for (const letter of batch) {
          const single = await tryWrite(sink, database, [letter.point]);
          if (single === undefined) stored++;
          else rejected.push({ letter, reason: single });
        }
      }
    }
  } catch (e) {
    err(
      `daqd dead-letters: storage '${sink.kind}' unavailable (${errorMessage(e)}); ` +
        `stopped, ${contents.file} left as it was`,
    );
    return undefined;
  }

  const total = contents.letters.length;
  if (rejected.length === 0) {
    if (total > 0) out(`database '${contents.database}': replayed ${plural(total, 'point')} to ${sink.kind}`);
  } else {
    out(
      `database '${contents.database}': replayed ${stored} of ${plural(total, 'point')} to ${sink.kind}; ` +
        `${rejected.length} still rejected, kept in ${contents.file}:`,
    );
    const counts = new Map<string, number>();
    for (const { reason } of rejected) counts.set(reason, (counts.get(reason) ?? 0) + 1);
    for (const [reason, count] of counts) out(`  ${count}  ${reason}`);
  }
  reportUnreadable(contents, { out });
  const keep = [
    ...contents.unreadable.map((u) => ({ line: u.line, text: u.text })),
    ...rejected.map((r) => ({ line: r.letter.line, text: r.letter.text })),
  ];
  keep.sort((a, b) => a.line - b.line);
  return keep.map((k) => k.text);
}

/**
 * Writes points; resolves to the reason when the store rejects them for good, undefined when stored.
 * Throws what may pass (a retryable `StorageError`) or is not the store's answer at all.
 */
async function tryWrite(sink: Sink, database: string, points: readonly Point[]): Promise<string | undefined> {
  try {
    await sink.write(database, points);
    return undefined;
  } catch (e) {
    if (e instanceof StorageError && !e.retryable) return e.message;
    throw e;
  }
}

/** Letters grouped by the database they were meant for, in file order. */
function byDatabase(letters: readonly DeadLetter[]): Map<string, DeadLetter[]> {
  const groups = new Map<string, DeadLetter[]>();
  for (const letter of letters) {
    let group = groups.get(letter.database);
    if (group === undefined) {
      group = [];
      groups.set(letter.database, group);
    }
    group.push(letter);
  }
  return groups;
}

function reportUnreadable(contents: DeadLetterFile, { out }: Pick<DeadLettersOptions, 'out'>): void {
  if (contents.unreadable.length === 0) return;
  out(
    `database '${contents.database}': ${plural(contents.unreadable.length, 'unreadable line')} kept in ` +
      `${contents.file}; fix or remove by hand:`,
  );
  for (const u of contents.unreadable) out(`  line ${u.line}: ${u.problem}`);
}

/** A point as an InfluxDB line with its time in nanoseconds (what the store is sent). */
function describe(point: Point): string {
  let body: string;
  try {
    body = pointsToLineProtocol([point]).body;
  } catch (e) {
    return `${point.measurement} (cannot be written: ${errorMessage(e)})`;
  }
  if (body === '') return `${point.measurement} (no field to write)`;
  return `${body.slice(0, body.lastIndexOf(' ') + 1)}${point.time}`;
}

/** The configured store, loaded on demand as the daemon does (only the one in use). */
async function openSink(settings: Settings, options: DeadLettersOptions): Promise<Sink> {
  const log = options.debug ? errLog(options.err) : silentLog();
  if (settings.storage.backend === 'influxdb' && settings.influxdb !== undefined) {
    const { InfluxSink } = await import('../acquire/sink/influxdb.js');
    return new InfluxSink({ settings: settings.influxdb, log });
  }
  const { SqliteSink } = await import('../acquire/sink/sqlite.js');
  return new SqliteSink({ dataDir: settings.daqd.data_dir, log });
}

/** The store's own lines on stderr (with --debug): a replay's output stays the command's own. */
function errLog(err: (line: string) => void): Log {
  const line = (level: string) => (message: string) => err(`${level}: ${message}`);
  const log: Log = {
    error: line('error'),
    warning: line('warning'),
    notice: line('notice'),
    info: line('info'),
    debug: line('debug'),
    isDebug: () => true,
    child: () => log,
  };
  return log;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
