/** Why an MQTT topic filter is invalid (MQTT 3.1.1 §4.7), or undefined when it is fine. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter === '') return 'empty topic filter';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] ?? '';
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return "'#' must be a whole level and the last one";
    }
    if (level.includes('+') && level !== '+') return "'+' must be a whole level";
  }
  return undefined;
}
