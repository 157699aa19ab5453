import { instanceIdProblem } from '../core/instance-dir.js';
import type { SectionReader } from './section-reader.js';

/** `[daqd] instance_id`: checked (a bad one is a problem of the file), empty when unset or bad. */
export function readInstanceId(daqd: SectionReader): string {
  const id = daqd.string('instance_id', '');
  const problem = instanceIdProblem(id);
  if (problem === undefined) return id;
  daqd.problem('instance_id', problem);
  return '';
}

/**
 * The MQTT client id of an instance: members of one shared subscription need ids of their own, so the
 * instance id is added, unless `[mqtt] client_id` was set explicitly (then it is kept as written).
 */
export function instanceClientId(
  clientId: string,
  instanceId: string | undefined,
  explicit: boolean,
): string {
  return !instanceId || explicit ? clientId : `${clientId}-${instanceId}`;
}

/**
 * What does not fit several instances although `instance_id` is set: the SQLite store (one file per
 * database, written by every instance at once) and the embedded broker (each instance would be a broker
 * of its own, with no shared subscription between them).
 */
export function instanceWarnings(backend: 'influxdb' | 'sqlite', embedded: boolean): string[] {
  const warnings: string[] = [];
  if (backend === 'sqlite') {
    warnings.push(
      'several daqd instances on the SQLite store are not supported: they would write the same ' +
        'database files in data_dir, and each exports only what it wrote; use [influxdb]',
    );
  }
  if (embedded) {
    warnings.push(
      'several daqd instances with the embedded broker are not supported: each is a broker of its own ' +
        'and no shared subscription spreads readings over them; use an external broker ([mqtt] embedded = false)',
    );
  }
  return warnings;
}
