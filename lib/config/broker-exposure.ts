import { isIP } from 'node:net';

/** What `brokerExposureProblem` looks at: `[mqtt]` of the main file. */
export interface BrokerExposure {
  embedded: boolean;
  host: string;
  password_file?: string | undefined;
  allow_anonymous?: boolean | undefined;
}

/**
 * Whether an address reaches only this machine: `localhost`, 127.0.0.0/8 (also IPv4-mapped) or `::1`.
 * Anything else (`0.0.0.0`, `::`, a LAN address, a host name) may be reached from elsewhere.
 */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === 'ip6-localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

/**
 * Mosquitto 2.0's rule for the embedded broker: listening on anything but loopback without a
 * `password_file` would let anyone who reaches the port publish into every realm and read everything
 * the broker carries, so daqd refuses to start — unless `allow_anonymous = true` says that is meant.
 * Returns the one-line problem, or undefined when the broker may start.
 */
export function brokerExposureProblem(mqtt: BrokerExposure): string | undefined {
  if (!mqtt.embedded || mqtt.password_file !== undefined || mqtt.allow_anonymous === true) return undefined;
  if (isLoopback(mqtt.host)) return undefined;
  return (
    `the built-in broker would listen on '${mqtt.host}' without a password_file: anyone who reaches it ` +
    'could publish into every realm; set [mqtt] password_file, or allow_anonymous = true to open it deliberately'
  );
}
