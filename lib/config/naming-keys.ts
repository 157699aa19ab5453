import { type TopicTemplate, tagNames } from '../acquire/decode/strategy/topic-template.js';
import { type NameTemplate, parseNameTemplate } from '../acquire/sanitize/storage-address.js';
import type { SectionReader } from './section-reader.js';

/**
 * The naming templates of an app (`database = …`, `measurement = …`). Only apps with a topic template
 * take them: they may use `{realm}`, `{node}`, `{field}`, `{network}`/`{gateway}` when the template has
 * them, and its tag parts. Elsewhere `database` stays the Kotori vendor key it was (ignored) and
 * `measurement` is a problem, so that nobody believes an mqttkit or basic app's names changed.
 */
export function readNaming(
  reader: SectionReader,
  template: TopicTemplate | undefined,
  hasTemplate: boolean,
): { database?: NameTemplate | undefined; measurement?: NameTemplate | undefined } {
  if (!hasTemplate) {
    if (reader.has('measurement')) {
      reader.problem('measurement', 'only an app with a topic_template takes a naming template');
    }
    return {};
  }
  if (template === undefined) return {};
  const wan = template.names.includes('network') ? ['network', 'gateway'] : [];
  const names = ['realm', ...wan, 'node', 'field', ...tagNames(template.names)];
  const naming: { database?: NameTemplate; measurement?: NameTemplate } = {};
  for (const key of ['database', 'measurement'] as const) {
    const text = reader.string(key);
    if (text === undefined) continue;
    const compiled = parseNameTemplate(text, names);
    if ('problem' in compiled) reader.problem(key, compiled.problem);
    else naming[key] = compiled.template;
  }
  return naming;
}
