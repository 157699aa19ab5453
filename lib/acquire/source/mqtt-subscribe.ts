import { ErrorWithSubackPacket, type ISubscriptionMap } from 'mqtt';
import type { Log } from '../../core/log.js';
import { type MqttConnection, reasonName } from './mqtt-connection.js';

/** What `subscribeFilters` is handed. */
export interface MqttSubscribeContext {
  conn: MqttConnection;
  /** MQTT filters, `$share/<group>/` prefixed where shared. */
  filters: readonly string[];
  /** The broker's URL, for the log. */
  url: string;
  log: Log;
  /** Whether `conn` is still the source's connection: a SUBACK that comes later is ignored. */
  current: () => boolean;
  /** Called once the broker answered (refused filters are logged), or at once without filters. */
  subscribed: () => void;
}

/**
 * Subscribes `filters` at QoS 1 (MQTT 5 with `rh = 1`, so retained messages do not come twice on a
 * resumed session). An interrupted subscribe calls nothing: the next connection subscribes again.
 */
export function subscribeFilters(ctx: MqttSubscribeContext): void {
  const { conn, filters, url, log } = ctx;
  if (filters.length === 0) {
    ctx.subscribed();
    return;
  }
  const map: ISubscriptionMap = {};
  for (const filter of filters) map[filter] = conn.version === 5 ? { qos: 1, rh: 1 } : { qos: 1 };
  conn.client.subscribe(map, (err, granted) => {
    if (!ctx.current()) return;
    let codes: readonly number[];
    if (err instanceof ErrorWithSubackPacket) codes = err.packet.granted as number[];
    else if (err) {
      // The connection went away; the next one subscribes again.
      log.debug(`mqtt: subscribe interrupted: ${err.message}`);
      return;
    } else codes = (granted ?? []).map((g) => g.qos);
    filters.forEach((filter, i) => {
      const code = codes[i] ?? 0;
      if (code >= 0x80) {
        const reason = reasonName(code);
        log.error(`mqtt: broker ${url} refused the subscription '${filter}' (${reason})`);
      }
    });
    log.debug(`mqtt: subscribed ${filters.map((f) => `'${f}'`).join(', ')}`);
    ctx.subscribed();
  });
}
