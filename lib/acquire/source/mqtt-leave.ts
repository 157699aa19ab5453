import type { Packet } from 'mqtt';
import type { Log } from '../../core/log.js';
import { type MqttConnection, reasonName } from './mqtt-connection.js';
import type { MqttInbound } from './mqtt-inbound.js';

/** PINGREQ: fixed header only (MQTT 3.1.1 §3.12, MQTT 5 §3.12), the same bytes in both. */
const PINGREQ = Buffer.from([0xc0, 0x00]);

/**
 * Quiet PINGREQ round trips in a row that end the leave. MQTT.js pings on its own (keepalive); a
 * PINGRESP to its PINGREQ, sent just before ours, would end one of our rounds early. Two rounds
 * cannot both be answered by that one.
 */
const QUIET_ROUNDS = 2;

/** What `leaveSharedGroup` needs. */
export interface MqttLeaveContext {
  conn: MqttConnection;
  /** The shared filters (`$share/<group>/<filter>`) to unsubscribe. */
  filters: readonly string[];
  group: string;
  /** The session's client id and the broker's URL, for the log. */
  clientId: string;
  url: string;
  inbound: MqttInbound;
  log: Log;
  /** Longest time for the whole leave, milliseconds. */
  timeoutMs: number;
}

/** How a leave ended. */
export interface MqttLeaveResult {
  /** The broker confirmed the UNSUBSCRIBE and has nothing more for this session. */
  complete: boolean;
  /** Messages handled after the UNSUBSCRIBE went out (in flight then, or sent since). */
  handled: number;
}

/**
 * Takes this session out of its shared group so the group's other members get its share, and
 * leaves nothing behind in the broker session that no one may resume: unsubscribes the shared
 * filters, then goes on handling (and acknowledging) what the broker still sends (messages in flight
 * and those queued for this session: mosquitto 2.0 delivers them after the UNSUBACK, see
 * test/scale/shared-leave.int.test.ts), until the broker has nothing more.
 *
 * "Nothing more" is told by a PINGREQ written once no handler is in flight and every PUBACK is
 * out: the broker answers the PUBACKs (with the next queued messages) before it answers the
 * PINGREQ, so a PINGRESP with no PUBLISH before it means the queue is empty. Two such rounds in a
 * row end the leave (see `QUIET_ROUNDS`).
 *
 * Bounded by `timeoutMs`; a message whose handler fails stays unacknowledged in the session. Logs
 * one line: that it left the group, or why it did not finish.
 */
export async function leaveSharedGroup(ctx: MqttLeaveContext): Promise<MqttLeaveResult> {
  const { conn, inbound, log, group } = ctx;
  const started = Date.now();
  const deadline = started + ctx.timeoutMs;
  const left = () => deadline - Date.now();
  const pending = () => inbound.busy;
  const takenAtStart = inbound.taken - pending();
  const failedAtStart = inbound.failedWhileLeaving;
  const result = (complete: boolean): MqttLeaveResult => ({
    complete,
    handled: inbound.taken - takenAtStart,
  });
  const fail = (why: string): MqttLeaveResult => {
    const out = result(false);
    log.warning(
      `mqtt: leaving shared group '${group}' did not finish (${why}); ${out.handled} message(s) ` +
        `handled meanwhile; what is not acknowledged stays in the session of '${ctx.clientId}' on ` +
        `${ctx.url} until a daqd connects with that client id again`,
    );
    return out;
  };

  const unsuback = await withDeadline(unsubscribe(conn, ctx.filters), conn, left());
  if (unsuback === 'closed') return fail('connection closed before UNSUBACK');
  if (unsuback === 'timeout') return fail(`no UNSUBACK within ${ctx.timeoutMs} ms`);
  if (unsuback instanceof Error) return fail(`unsubscribe failed: ${unsuback.message}`);
  // MQTT 5 §3.11.3: one reason code per filter; 0x11 (no subscription existed) is no failure here.
  const refused = unsuback.filter((code) => code >= 0x80);
  if (refused.length > 0) {
    return fail(`the broker refused the UNSUBSCRIBE (${refused.map(reasonName).join(', ')})`);
  }

  let quiet = 0;
  while (quiet < QUIET_ROUNDS) {
    if (!(await inbound.idle(left()))) {
      return fail(`${pending()} message(s) still in the handler after ${ctx.timeoutMs} ms`);
    }
    if (conn.closed) return fail('connection closed');
    inbound.writeAcks(conn);
    const seen = inbound.taken;
    const pong = await withDeadline(ping(conn), conn, left());
    if (pong === 'closed') return fail('connection closed');
    if (pong === 'timeout') return fail(`no PINGRESP within ${ctx.timeoutMs} ms`);
    quiet = inbound.taken === seen && pending() === 0 ? quiet + 1 : 0;
  }

  const out = result(true);
  const failed = inbound.failedWhileLeaving - failedAtStart;
  const filters = ctx.filters.map((f) => `'${f}'`).join(', ');
  const line =
    `mqtt: left shared group '${group}' (unsubscribed ${filters}; handled ${out.handled} message(s) ` +
    `the broker still sent, in ${Date.now() - started} ms)`;
  if (failed === 0) log.notice(line);
  else {
    log.warning(
      `${line}; ${failed} of them not stored stay unacknowledged in the session of '${ctx.clientId}' ` +
        'until a daqd connects with that client id again',
    );
  }
  return out;
}

/** Sends UNSUBSCRIBE; resolves with the UNSUBACK's reason codes (none in MQTT 3.1.1) or an error. */
function unsubscribe(conn: MqttConnection, filters: readonly string[]): Promise<number[] | Error> {
  return new Promise((resolve) => {
    conn.client.unsubscribe([...filters], (err, packet) => {
      if (err) resolve(err);
      else resolve(((packet as { granted?: number[] } | undefined)?.granted ?? []).slice());
    });
  });
}

/** Writes a PINGREQ and resolves at the next PINGRESP (PUBLISHes before it have been handed on). */
function ping(conn: MqttConnection): Promise<void> {
  return new Promise((resolve) => {
    const onPacket = (packet: Packet) => {
      if (packet.cmd !== 'pingresp') return;
      conn.client.off('packetreceive', onPacket);
      resolve();
    };
    conn.client.on('packetreceive', onPacket);
    conn.client.stream.write(PINGREQ);
  });
}

/** Races `work` against the connection's close and a timeout. */
async function withDeadline<T>(
  work: Promise<T>,
  conn: MqttConnection,
  ms: number,
): Promise<T | 'closed' | 'timeout'> {
  if (conn.closed) return 'closed';
  let timer: NodeJS.Timeout | undefined;
  let onClose: (() => void) | undefined;
  const closed = new Promise<'closed'>((resolve) => {
    onClose = () => resolve('closed');
    conn.client.once('close', onClose);
  });
  const expired = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(ms, 0));
  });
  try {
    return await Promise.race([work, closed, expired]);
  } finally {
    clearTimeout(timer);
    if (onClose) conn.client.off('close', onClose);
  }
}
