import {
  STRATEGIES,
  strategyEntryPoints,
  strategyForEntryPoint,
  strategyForVendor,
  strategyVendors,
} from '../acquire/decode/strategy/registry.js';
import { parseTopicTemplate, type TopicTemplate } from '../acquire/decode/strategy/topic-template.js';
import { COMPOSITE_ENTRY_POINT, readCompositeStrategy } from './composite-app.js';
import type { SectionReader } from './section-reader.js';

/** What an app's strategy keys (`type`, `application`/`app_factory`, `topic_template`) chose. */
export interface AppStrategy {
  /** The strategy's name; undefined when none could be chosen (a problem is recorded). */
  strategy: string | undefined;
  /** The compiled topic template, when `topic_template` is set and valid. */
  topicTemplate: TopicTemplate | undefined;
  /** The text of `topic_template`, when set (valid or not). */
  templateText: string | undefined;
}

/**
 * Chooses an app's strategy from `topic_template`, the entry point (`application` or `app_factory`) or
 * the vendor section's name, in that order; a conflict or an unknown name is a problem.
 */
export function readStrategy(
  reader: SectionReader,
  type: string | undefined,
  entryPoint: string | undefined,
): AppStrategy {
  const section = reader.section;
  // The strategy registry (acquire/decode/strategy/registry.ts) knows the names and entry points.
  let strategy: string | undefined;
  const vendorStrategy = type === 'vendor' ? strategyForVendor(section.name) : undefined;
  const templateText = reader.string('topic_template');
  let topicTemplate: TopicTemplate | undefined;
  if (templateText !== undefined) {
    // A topic template is a strategy of its own (acquire/decode/strategy/template.ts).
    strategy = 'template';
    const compiled = parseTopicTemplate(templateText);
    if ('problem' in compiled) reader.problem('topic_template', compiled.problem);
    else topicTemplate = compiled.template;
    if (entryPoint !== undefined) {
      reader.problem(
        reader.has('application') ? 'application' : 'app_factory',
        `'${entryPoint}' and topic_template both name the topic layout: keep one`,
      );
    }
  } else if (entryPoint === COMPOSITE_ENTRY_POINT) {
    // Kotori's composite app: the strategy is its own key (`strategy = …WanBusStrategy`).
    strategy = readCompositeStrategy(reader);
  } else if (entryPoint !== undefined) {
    strategy = strategyForEntryPoint(entryPoint)?.name;
    if (strategy === undefined) {
      reader.problem(
        reader.has('application') ? 'application' : 'app_factory',
        `unknown entry point '${entryPoint}' (known: ${[...strategyEntryPoints(), COMPOSITE_ENTRY_POINT].join(', ')})`,
      );
    }
  } else if (vendorStrategy !== undefined) {
    strategy = vendorStrategy.name;
  } else {
    const names = STRATEGIES.filter((s) => s.selectedBy === undefined).map((s) => s.name);
    const choice = `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]} (or set topic_template)`;
    reader.problem(
      'application',
      type === 'vendor'
        ? `unknown vendor [${section.name}] (known: ${strategyVendors().join(', ')}); name a strategy with application = ${choice}`
        : `missing: name the strategy with application = ${choice}`,
    );
  }
  return { strategy, topicTemplate, templateText };
}
