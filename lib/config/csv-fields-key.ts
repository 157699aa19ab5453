import { parseCsvFields } from '../acquire/decode/csv-lines.js';
import type { CsvColumn } from '../acquire/decode/decoder.js';
import type { SectionReader } from './section-reader.js';

/**
 * `csv_fields = …` (CSV lines over MQTT, `acquire/decode/csv-lines.ts`): a preset name or a column list.
 * Template apps only, so that mqttkit and basic slots stay decoded as in Kotori.
 */
export function readCsvFields(reader: SectionReader, hasTemplate: boolean): CsvColumn[] | undefined {
  const text = reader.string('csv_fields');
  if (text === undefined) return undefined;
  if (!hasTemplate) {
    reader.problem('csv_fields', 'only an app with a topic_template takes csv_fields');
    return undefined;
  }
  if (reader.has('decoder')) {
    reader.problem('csv_fields', 'csv_fields and decoder both say how payloads are read: keep one');
    return undefined;
  }
  const parsed = parseCsvFields(text);
  if ('problem' in parsed) {
    reader.problem('csv_fields', parsed.problem);
    return undefined;
  }
  return parsed.columns;
}
