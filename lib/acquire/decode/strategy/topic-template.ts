import { DecodeError } from '../../../core/errors.js';
import type { Topology } from '../topology.js';

/**
 * Named parts with a meaning of their own; any other name (`{project}`, `{serial}`) is a tag of the
 * topic's readings and a value naming templates may use.
 */
export const TOPOLOGY_PARTS = ['realm', 'network', 'gateway', 'node', 'field', 'slot'] as const;

/** One level of a topic template. */
export type TemplateLevel =
  | { kind: 'literal'; text: string }
  | { kind: 'part'; name: string }
  /** `+`: any one level, not kept. */
  | { kind: 'any' }
  /** `#` (last): any number of levels, also none, not kept. */
  | { kind: 'rest' };

/**
 * A topic template (`topic_template = sensors/{node}/{field}`), compiled when the configuration loads.
 * Levels are separated by `/` as in MQTT; a level is literal text, a named part `{name}`, `+` (one
 * level, ignored) or, last, `#` (the rest, ignored).
 */
export interface TopicTemplate {
  readonly text: string;
  readonly levels: readonly TemplateLevel[];
  /** The names of its parts, in order. */
  readonly names: readonly string[];
  /** The MQTT filter that subscribes to every topic it matches (`sensors/+/+`). */
  readonly filter: string;
}

/** What compiling a template gave: the template, or what is wrong with it (for `file:line` messages). */
export type TopicTemplateResult = { template: TopicTemplate } | { problem: string };

const PART = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
/** Characters no part may hold: C0/C1 controls, DEL, line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Compiles `text`. Pure. A template needs at least one named part; a part is a whole level and named
 * once; `{network}` and `{gateway}` come together (a WAN address has both); a template without
 * `{node}` needs a tag part, the last of which names the node (MySense's `IoS/{project}/{serial}`).
 */
export function parseTopicTemplate(text: string): TopicTemplateResult {
  if (text.trim() === '') return { problem: 'empty topic template' };
  const levels: TemplateLevel[] = [];
  const names: string[] = [];
  const raw = text.split('/');
  for (let i = 0; i < raw.length; i++) {
    const level = raw[i] ?? '';
    const part = PART.exec(level);
    if (part !== null) {
      const name = part[1]!;
      if (names.includes(name)) return { problem: `'${text}': part '{${name}}' appears twice` };
      names.push(name);
      levels.push({ kind: 'part', name });
    } else if (level === '+') {
      levels.push({ kind: 'any' });
    } else if (level === '#') {
      if (i !== raw.length - 1) return { problem: `'${text}': '#' must be the last level` };
      levels.push({ kind: 'rest' });
    } else if (level.includes('{') || level.includes('}')) {
      return { problem: `'${text}': level '${level}' is not a part: write '{name}' as a whole level` };
    } else if (level.includes('+') || level.includes('#')) {
      return { problem: `'${text}': '+' and '#' must be whole levels` };
    } else {
      levels.push({ kind: 'literal', text: level });
    }
  }
  if (names.length === 0) return { problem: `'${text}' names no part (e.g. '{node}')` };
  if (names.includes('network') !== names.includes('gateway')) {
    return { problem: `'${text}': '{network}' and '{gateway}' go together` };
  }
  if (!names.includes('node') && tagNames(names).length === 0) {
    return { problem: `'${text}' names no node: add '{node}' or a part that identifies the device` };
  }
  const filter = levels.map((l) => (l.kind === 'literal' ? l.text : l.kind === 'rest' ? '#' : '+')).join('/');
  return { template: { text, levels, names, filter } };
}

/** The names of a template's parts that are tags (not one of `TOPOLOGY_PARTS`). */
export function tagNames(names: readonly string[]): string[] {
  return names.filter((name) => !(TOPOLOGY_PARTS as readonly string[]).includes(name));
}

/**
 * The topology of `topic` under `template` for realm `realm`. Pure; throws `DecodeError` when the topic
 * does not match (a literal level differs, too few or too many levels, `{realm}` is another realm) or
 * a part is empty or holds control characters.
 *
 * The node is `{node}`, or the last tag part; the slot `{slot}`, or empty; the field (the name of a
 * plain value) `{field}`, or the topic's last level; tag parts are tags.
 */
export function matchTopicTemplate(topic: string, template: TopicTemplate, realm: string): Topology {
  const levels = topic.split('/');
  const rest = template.levels[template.levels.length - 1]?.kind === 'rest';
  const fixed = rest ? template.levels.length - 1 : template.levels.length;
  if (rest ? levels.length < fixed : levels.length !== fixed) {
    throw new DecodeError(`topic '${topic}' does not match topic template '${template.text}'`);
  }
  const parts = new Map<string, string>();
  for (let i = 0; i < fixed; i++) {
    const level = template.levels[i]!;
    const value = levels[i]!;
    if (level.kind === 'literal' && level.text !== value) {
      throw new DecodeError(`topic '${topic}' does not match topic template '${template.text}'`);
    }
    if (level.kind !== 'part') continue;
    if (value === '') throw new DecodeError(`topic '${topic}': empty '{${level.name}}'`);
    if (CONTROL.test(value)) {
      throw new DecodeError(`topic '${topic}': '{${level.name}}' contains control characters or line breaks`);
    }
    parts.set(level.name, value);
  }
  const topicRealm = parts.get('realm');
  if (topicRealm !== undefined && topicRealm !== realm) {
    throw new DecodeError(`topic '${topic}' is not under realm '${realm}'`);
  }
  const tagParts = tagNames(template.names);
  const tags = Object.fromEntries(tagParts.map((name) => [name, parts.get(name)!] as const));
  const field = parts.get('field') ?? levels[levels.length - 1]!;
  if (field === '') throw new DecodeError(`topic '${topic}': empty last level, so no field name`);
  const topology: Topology = {
    realm,
    node: parts.get('node') ?? parts.get(tagParts[tagParts.length - 1]!)!,
    slot: parts.get('slot') ?? '',
    field,
    tags,
  };
  const network = parts.get('network');
  const gateway = parts.get('gateway');
  if (network !== undefined && gateway !== undefined) {
    topology.network = network;
    topology.gateway = gateway;
  }
  return topology;
}
