/**
 * Does `topic` match the MQTT subscription `filter`? `+` matches one level, a trailing `#` the parent
 * level and everything below it. Topics starting with `$` are not matched by a filter starting with a
 * wildcard (MQTT 3.1.1, 4.7.2). Shared-subscription prefixes (`$share/<group>/`) are not looked through.
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const want = filter.split('/');
  const have = topic.split('/');
  for (let i = 0; i < want.length; i++) {
    const level = want[i];
    if (level === '#') return true;
    if (i >= have.length) return false;
    if (level !== '+' && level !== have[i]) return false;
  }
  return want.length === have.length;
}
