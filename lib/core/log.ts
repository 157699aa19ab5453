import winston from 'winston';
import type { LogLevel } from '../config/settings.js';

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

const LEVELS: readonly LogLevel[] = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'];

export function isLogLevel(value: string): value is LogLevel {
  return (LEVELS as readonly string[]).includes(value);
}

class WinstonLog implements Log {
  constructor(
    private readonly logger: winston.Logger,
    private readonly namespace: string,
  ) {}

  private write(level: LogLevel, message: string): void {
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
    return this.logger.isLevelEnabled('debug');
  }
  child(namespace: string): Log {
    return new WinstonLog(this.logger, namespace);
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
 */
export function createLog(level: LogLevel = 'info'): RootLog {
  const logger = winston.createLogger({
    levels: winston.config.syslog.levels,
    level,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.printf((info) => `${info['timestamp']} ${info.level} [${info['ns']}] ${info.message}`),
    ),
    transports: [
      new winston.transports.Console({ stderrLevels: ['emerg', 'alert', 'crit', 'error', 'warning'] }),
    ],
  });
  const root = new WinstonLog(logger, 'daqd') as WinstonLog & RootLog;
  root.setLevel = (next: LogLevel) => {
    logger.level = next;
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
