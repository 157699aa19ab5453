import { createHash } from 'node:crypto';

/** Grafana's limit on a dashboard's or data source's `uid`: at most 40 of `[a-zA-Z0-9-_]`. */
export const GRAFANA_UID_MAX = 40;

/** Suffix of the uid of a dashboard's provisioned copy written beside a hand-edited file. */
export const COPY_UID_SUFFIX = '-daqd';

/** Room left for `COPY_UID_SUFFIX`: every uid made here may take it and stay within the limit. */
const BASE_MAX = GRAFANA_UID_MAX - COPY_UID_SUFFIX.length;

/**
 * A uid that depends on `name` alone: `<prefix>-<name>` when that fits and uses only Grafana's
 * characters, otherwise `<prefix>-<start of the name>-<10 hex digits of its SHA-256>` (two names never
 * share a uid by being cut the same). At most 35 characters, so the copy's suffix still fits. Pure.
 */
export function stableUid(prefix: string, name: string): string {
  const plain = `${prefix}-${name}`;
  if (plain.length <= BASE_MAX && /^[a-zA-Z0-9_-]+$/.test(plain)) return plain;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 10);
  const room = BASE_MAX - prefix.length - hash.length - 2;
  const start = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, Math.max(room, 0));
  return `${prefix}-${start}-${hash}`;
}
