/** The slot of error reports: daqd (like Kotori) answers a bad message on `<base topic>/error.json`. */
export const ERROR_SLOT = 'error.json';

/**
 * True for a topic (or slot) that carries error reports. Such a message is never decoded and never
 * answered, whatever the strategy and however the rest of the topic looks: Kotori's loop protection
 * (`topic.endswith('error.json')`), so that an error is never answered with an error.
 */
export function carriesErrors(topicOrSlot: string): boolean {
  return topicOrSlot.endsWith(ERROR_SLOT);
}
