import winston from 'winston';

/** The logger every component is handed: syslog levels, one line per event, a namespace per part. */
export interface Log {
  error(message: string): void;
  warning(message: string): void;
  notice(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** True when debug lines are written: hot paths check this before building a message. */
  isDebug(): boolean;
  /** A logger for a sub-namespace, e.g. `daqd:realm:hiverize`. */
  child(namespace: string): Log;
}

/** Syslog levels, as winston names them (`[daqd] log_level`). */
export type LogLevel = 'emerg' | 'alert' | 'crit' | 'error' | 'warning' | 'notice' | 'info' | 'debug';

const LEVELS: readonly LogLevel[] = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'];

export function isLogLevel(value: string): value is LogLevel {
  return (LEVELS as readonly string[]).includes(value);
}

/**
 * True when `namespace` is one of `patterns` or below one (`daqd:realm:a` covers `daqd:realm:a:mqtt`).
 * `*` stands for one level: `daqd:realm:*:mqtt`.
 */
export function namespaceMatches(namespace: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^:]*');
    return new RegExp(`^${source}(:.*)?$`).test(namespace);
  });
}

/** Which lines are written: those at `level` or above, and debug lines of the debug namespaces. */
interface LogFilter {
  level: LogLevel;
  readonly debugNamespaces: readonly string[];
}

class WinstonLog implements Log {
  /** This namespace logs at debug whatever the level (`--debug-mqtt` and the like). */
  private readonly debugNamespace: boolean;

  constructor(
    private readonly logger: winston.Logger,
    private readonly namespace: string,
    private readonly filter: LogFilter,
  ) {
    this.debugNamespace = namespaceMatches(namespace, filter.debugNamespaces);
  }

  private write(level: LogLevel, message: string): void {
    if (
      LEVELS.indexOf(level) > LEVELS.indexOf(this.filter.level) &&
      !(level === 'debug' && this.debugNamespace)
    ) {
      return;
    }
    this.logger.log(level, message, { ns: this.namespace });
  }

  error(message: string): void {
    this.write('error', message);
  }
  warning(message: string): void {
    this.write('warning', message);
  }
  notice(message: string): void {
    this.write('notice', message);
  }
  info(message: string): void {
    this.write('info', message);
  }
  debug(message: string): void {
    if (this.isDebug()) this.write('debug', message);
  }
  isDebug(): boolean {
    return this.filter.level === 'debug' || this.debugNamespace;
  }
  child(namespace: string): Log {
    return new WinstonLog(this.logger, namespace, this.filter);
  }
}

/** Handle on the root logger, so the level can change after the configuration is read. */
export interface RootLog extends Log {
  setLevel(level: LogLevel): void;
  /** Waits until every line is written (before the process exits). */
  close(): Promise<void>;
}

/**
 * The process logger: winston to stdout (notice and below) and stderr (warning and above),
 * so journald keeps the levels apart. Lines: `2026-11-22T13:00:00.000Z info [daqd:mqtt] message`.
 * `debugNamespaces` log at debug whatever the level (see `namespaceMatches`).
 */
export function createLog(level: LogLevel = 'info', debugNamespaces: readonly string[] = []): RootLog {
  const filter: LogFilter = { level, debugNamespaces };
  const logger = winston.createLogger({
    levels: winston.config.syslog.levels,
    // Lines are filtered per namespace above; winston passes on every level.
    level: 'debug',
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.printf((info) => `${info['timestamp']} ${info.level} [${info['ns']}] ${info.message}`),
    ),
    transports: [
      new winston.transports.Console({ stderrLevels: ['emerg', 'alert', 'crit', 'error', 'warning'] }),
    ],
  });
  const root = new WinstonLog(logger, 'daqd', filter) as WinstonLog & RootLog;
  root.setLevel = (next: LogLevel) => {
    filter.level = next;
  };
  root.close = () =>
    new Promise<void>((resolve) => {
      logger.on('finish', () => resolve());
      logger.end();
    });
  return root;
}

/** A logger that drops everything (for tests of components that log). */
export function silentLog(): Log {
  const log: Log = {
    error() {},
    warning() {},
    notice() {},
    info() {},
    debug() {},
    isDebug: () => false,
    child: () => log,
  };
  return log;
}
