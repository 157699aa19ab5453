import { splitList } from './ini-file.js';
import type { SectionReader } from './section-reader.js';

/**
 * `[http] cors_origins`: a list of origins (`scheme://host[:port]`, as a browser sends `Origin`) or `*`;
 * each other entry is a problem and left out.
 */
export function readCorsOrigins(http: SectionReader): string[] {
  const origins: string[] = [];
  for (const entry of splitList(http.string('cors_origins', ''))) {
    if (entry === '') continue;
    if (entry === '*') {
      origins.push(entry);
      continue;
    }
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      if (url.protocol === 'http:' || url.protocol === 'https:') origin = url.origin;
    } catch {
      origin = undefined;
    }
    // `new URL` accepts a path and a trailing '/'; an Origin header never has them.
    if (origin === undefined || origin !== entry.replace(/\/$/, '').toLowerCase()) {
      http.problem('cors_origins', `'${entry}' is not an origin (http[s]://host[:port], no path) or '*'`);
    } else origins.push(origin);
  }
  return origins;
}
