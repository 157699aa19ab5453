import { ConfigError } from '../core/errors.js';
import type { Forwarder } from './settings.js';

/**
 * What a forwarder is for daqd:
 * - `ingest`: HTTP ingest — a `POST` among the source's methods and an `mqtt:` target (Kotori's
 *   `http-acquisition` forwarder; `[POST, PUT]` counts);
 * - `export`: HTTP export — a `GET` among the source's methods and an `influxdb:` target (Kotori's
 *   `data-export` forwarder, served by daqd's fixed export routes);
 * - `none`: anything else, which daqd does not serve.
 */
export type ForwarderRole = 'ingest' | 'export' | 'none';

/**
 * A Kotori forwarder section made into an HTTP route: the `source` address
 * (`http:/api/hiveeyes/{address:.*}/{slot:(data|event)} [POST]`) becomes methods plus a path pattern,
 * the `target` address (`mqtt:/hiveeyes/{address}/{slot}.json`) a template filled with what the path
 * matched.
 */
export interface ForwarderRoute {
  /** The forwarder's section, for messages. */
  section: string;
  /** Upper-case methods of the `[…]` predicate; empty = any method. */
  methods: readonly string[];
  /** The scheme of the target: `mqtt` (ingest) or `influxdb` (export). */
  targetScheme: string;
  /** What daqd does with it: the one place that says which methods and targets mean ingest. */
  role: ForwarderRole;
  /** The values a decoded request path matches with, by placeholder name; undefined when it does not match. */
  match(path: string): Record<string, string> | undefined;
  /** The target path filled in (leading `/` removed, as Kotori does for MQTT topics). */
  target(values: Readonly<Record<string, string>>): string;
}

/** Kotori's address form: `<uri>[ [<predicates>]]`. */
const ADDRESS = /^(.*?)(?:\s+\[(.+)\])?\s*$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REGEX_SPECIAL = /[.*+?^${}()|[\]\\]/g;

interface Address {
  scheme: string;
  path: string;
  methods: string[];
}

/**
 * Compiles a forwarder (Pyramid-style placeholders, as Kotori's router reads them): `{name}` matches one
 * path segment, `{name:regex}` the regex (which may span segments, e.g. `.*`). The whole path must
 * match. Placeholders of an `mqtt:` target must all be named in the source. Throws `ConfigError`
 * naming the forwarder's file, the line of the key (`lineOf`, else the section's line) and the key.
 */
export function compileForwarder(
  forwarder: Forwarder,
  lineOf: (key: 'source' | 'target') => number = () => forwarder.line,
): ForwarderRoute {
  const problem = (key: 'source' | 'target', message: string) =>
    new ConfigError(message, {
      file: forwarder.file,
      line: lineOf(key),
      key: `${forwarder.section}.${key}`,
    });
  const source = parseAddress(forwarder.source);
  if (source === undefined || !/^https?$/i.test(source.scheme)) {
    throw problem('source', `'${forwarder.source}' is not an http: address`);
  }
  const target = parseAddress(forwarder.target);
  if (target === undefined) throw problem('target', `'${forwarder.target}' is not an address like mqtt:/…`);

  let compiled: { regex: RegExp; names: string[] };
  try {
    compiled = compilePattern(source.path);
  } catch (err) {
    throw problem('source', `'${source.path}': ${err instanceof Error ? err.message : String(err)}`);
  }
  const { regex, names } = compiled;
  const template = target.path.replace(/^\/+/, '');
  const targetScheme = target.scheme.toLowerCase();
  if (targetScheme === 'mqtt') {
    for (const name of templateNames(template)) {
      if (!names.includes(name)) {
        throw problem('target', `'{${name}}' is not a placeholder of the source '${source.path}'`);
      }
    }
  }
  return {
    section: forwarder.section,
    methods: source.methods,
    targetScheme,
    role: roleOf(source.methods, targetScheme),
    match(path) {
      const m = regex.exec(path);
      if (m === null) return undefined;
      const values: Record<string, string> = {};
      for (const name of names) values[name] = m.groups?.[name] ?? '';
      return values;
    },
    target: (values) => fillTemplate(template, values),
  };
}

function roleOf(methods: readonly string[], targetScheme: string): ForwarderRole {
  if (targetScheme === 'mqtt' && methods.includes('POST')) return 'ingest';
  if (targetScheme === 'influxdb' && methods.includes('GET')) return 'export';
  return 'none';
}

/**
 * The HTTP ingest routes of an app, given its compiled forwarders: the ingest ones in file order, or,
 * without any, Kotori's usual ingest forwarder, which `http_api = true` stands for:
 * `/api/<realm>/{address:.*}/{slot:(data|event)}` → `<realm>/{address}/{slot}.json`.
 */
export function ingestRoutes(
  routes: readonly ForwarderRoute[],
  app: { section: string; file: string; line: number; realm: string },
): ForwarderRoute[] {
  const ingest = routes.filter((route) => route.role === 'ingest');
  if (ingest.length > 0) return ingest;
  const { realm, ...where } = app;
  return [
    compileForwarder({
      ...where,
      source: `http:/api/${realm}/{address:.*}/{slot:(data|event)} [POST]`,
      target: `mqtt:/${realm}/{address}/{slot}.json`,
    }),
  ];
}

function parseAddress(text: string): Address | undefined {
  const m = ADDRESS.exec(text.trim());
  const uri = m?.[1]?.trim();
  if (!uri) return undefined;
  const s = SCHEME.exec(uri);
  if (s === null) return undefined;
  let path = s[2] ?? '';
  // `http://host:port/api/…`: only the path counts, as with Kotori's urlparse.
  if (path.startsWith('//')) {
    const slash = path.indexOf('/', 2);
    path = slash === -1 ? '/' : path.slice(slash);
  }
  const methods = (m?.[2] ?? '')
    .split(/[\s,]+/)
    .filter((x) => x !== '')
    .map((x) => x.toUpperCase());
  return { scheme: s[1] ?? '', path, methods };
}

/** `/api/{realm}/{rest:.*}` → an anchored RegExp with one named group per placeholder. */
function compilePattern(pattern: string): { regex: RegExp; names: string[] } {
  let source = '^';
  const names: string[] = [];
  let i = 0;
  while (i < pattern.length) {
    const open = pattern.indexOf('{', i);
    if (open === -1) {
      source += escapeRegex(pattern.slice(i));
      break;
    }
    source += escapeRegex(pattern.slice(i, open));
    // A placeholder's regex may hold braces of its own (`\d{2}`): find the brace that closes it.
    let depth = 0;
    let close = -1;
    for (let j = open; j < pattern.length; j++) {
      const ch = pattern[j];
      if (ch === '\\') {
        j++;
        continue;
      }
      if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) {
        close = j;
        break;
      }
    }
    if (close === -1) throw new Error(`unclosed '{' at position ${open + 1}`);
    const body = pattern.slice(open + 1, close);
    const colon = body.indexOf(':');
    const name = (colon === -1 ? body : body.slice(0, colon)).trim();
    if (!NAME.test(name)) throw new Error(`'{${body}}': '${name}' is not a placeholder name`);
    if (names.includes(name)) throw new Error(`placeholder '${name}' appears twice`);
    names.push(name);
    // Python's named groups `(?P<x>…)` are `(?<x>…)` in JavaScript.
    const inner = colon === -1 ? '[^/]+' : body.slice(colon + 1).replace(/\(\?P</g, '(?<');
    source += `(?<${name}>${inner})`;
    i = close + 1;
  }
  return { regex: new RegExp(source + '$', 'u'), names };
}

function escapeRegex(text: string): string {
  return text.replace(REGEX_SPECIAL, '\\$&');
}

/** Names of `{name}` in a Python format string (`{{` and `}}` are literal braces). */
function templateNames(template: string): string[] {
  const names: string[] = [];
  for (const m of template.matchAll(/\{\{|\}\}|\{([^{}]*)\}/g))
    if (m[1] !== undefined) names.push(m[1].trim());
  return names;
}

function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, name: string | undefined) => {
    if (name === undefined) return whole[0]!;
    return values[name.trim()] ?? '';
  });
}
