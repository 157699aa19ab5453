import { STRATEGIES } from '../acquire/decode/strategy/registry.js';
import type { SectionReader } from './section-reader.js';

/** Kotori's entry point of an app composed of services (`etc/examples/composite.ini`, `vendors/luftdaten.ini`). */
export const COMPOSITE_ENTRY_POINT = 'kotori.daq.application.composite:boot';

/**
 * Kotori's services a composite app may list in `services`, each with what it is. All of them take
 * MQTT messages to InfluxDB, which is what a daqd realm does; their other parts are Kotori's own.
 */
const KNOWN_SERVICES: Readonly<Record<string, string>> = {
  // The generic MQTT → InfluxDB (→ Grafana) service of every mqttkit and basic app.
  'kotori.daq.services.mig:MqttInfluxGrafanaService': 'MQTT → InfluxDB',
  // luftdaten.info's: the generic service writing to InfluxDB over UDP (port 4445); daqd writes over HTTP.
  'kotori.vendor.luftdaten.application:LuftdatenMqttInfluxGrafanaService': 'MQTT → InfluxDB (luftdaten.info)',
};

/** Kotori's strategy classes (`strategy = …`) → the daqd strategy that reads topics as they do. */
const STRATEGY_CLASSES: Readonly<Record<string, string>> = {
  'kotori.daq.strategy.wan:WanBusStrategy': 'mqttkit',
  'kotori.daq.strategy.lan:LanStrategy': 'basic',
};

/**
 * The strategy of a Kotori composite app (`app_factory = kotori.daq.application.composite:boot`): its
 * `strategy` class (`kotori.daq.strategy.wan:WanBusStrategy` → mqttkit, `…lan:LanStrategy` → basic) and
 * its `services` (a comma or newline list, as Kotori's `read_list` reads it) checked against the
 * services daqd stands in for. `graphing` (Grafana provisioning) is not daqd's and is left alone. A
 * missing or unknown strategy, or a service daqd does not know, is a problem naming the known ones
 * (Kotori would log the failure and run the app without that part, storing nothing).
 */
export function readCompositeStrategy(reader: SectionReader): string | undefined {
  const services = (reader.string('services') ?? '')
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (services.length === 0) {
    reader.problem(
      'services',
      `missing: a composite app lists its services (known: ${known(KNOWN_SERVICES)})`,
    );
  }
  for (const service of services) {
    if (KNOWN_SERVICES[service] === undefined) {
      reader.problem('services', `unknown service '${service}' (known: ${known(KNOWN_SERVICES)})`);
    }
  }
  const strategyClass = reader.string('strategy');
  if (strategyClass === undefined) {
    reader.problem(
      'strategy',
      `missing: a composite app names its strategy (known: ${known(STRATEGY_CLASSES)})`,
    );
    return undefined;
  }
  const strategy = STRATEGY_CLASSES[strategyClass];
  if (strategy === undefined || !STRATEGIES.some((s) => s.name === strategy)) {
    reader.problem('strategy', `unknown strategy '${strategyClass}' (known: ${known(STRATEGY_CLASSES)})`);
    return undefined;
  }
  return strategy;
}

function known(table: Readonly<Record<string, string>>): string {
  return Object.keys(table).join(', ');
}
