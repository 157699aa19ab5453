/** Keys of an app section that daqd reads; any other key is Kotori's or the user's and ignored. */
export const APP_KEYS: readonly string[] = [
  'enable',
  'type',
  'realm',
  'mqtt_topics',
  'application',
  'app_factory',
  'tags',
  'direct_channel_allowed_networks',
  'http_api',
  'mqtt_shared_group',
  'hide_inactive_after_days',
  'metrics_logger_interval',
  'topic_template',
  'database',
  'measurement',
  'csv_fields',
  'decoder',
  'allowed_networks',
  'allowed_nodes',
  'max_databases',
  'max_fields_per_measurement',
  'max_fields_per_reading',
];

/** Keys of a forwarder section that daqd reads. */
export const FORWARDER_KEYS: readonly string[] = ['source', 'target'];
