import { expect } from 'chai';
import { Metrics, type RealmCounters } from '../../lib/core/metrics.js';

function counters(realm: string, stats: Partial<RealmCounters['stats']> = {}): RealmCounters {
  return {
    app: { realm },
    stats: {
      received: 0,
      stored: 0,
      failed: 0,
      ignored: 0,
      errorReports: { published: 0, heldBack: 0, noBaseTopic: 0 },
      ...stats,
    },
  };
}

/** The exposition lines of one metric family: HELP, TYPE and samples. */
function family(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter(
      (line) =>
        line.startsWith(`# HELP ${name} `) || line.startsWith(`# TYPE ${name} `) || line.startsWith(name),
    );
}

describe('core/metrics', () => {
  it('reads the channels and the queue when scraped: names, help, labels as /metrics has them', async () => {
    let channels = [
      counters('wan', {
        received: 5,
        stored: 4,
        failed: 1,
        ignored: 2,
        errorReports: { published: 3, heldBack: 2, noBaseTopic: 1 },
      }),
    ];
    let depth = 7;
    const metrics = new Metrics({ channels: () => channels, queueDepth: () => depth });
    const { contentType, text } = await metrics.render();
    expect(contentType).to.match(/^text\/plain; version=0\.0\.4/);
    expect(family(text, 'daqd_readings_received_total')).to.deep.equal([
      '# HELP daqd_readings_received_total Readings received (MQTT and HTTP)',
      '# TYPE daqd_readings_received_total counter',
      'daqd_readings_received_total{realm="wan"} 5',
    ]);
    expect(family(text, 'daqd_readings_stored_total')).to.deep.equal([
      '# HELP daqd_readings_stored_total Readings stored',
      '# TYPE daqd_readings_stored_total counter',
      'daqd_readings_stored_total{realm="wan"} 4',
    ]);
    expect(family(text, 'daqd_readings_failed_total')).to.deep.equal([
      '# HELP daqd_readings_failed_total Readings refused or not stored',
      '# TYPE daqd_readings_failed_total counter',
      'daqd_readings_failed_total{realm="wan"} 1',
    ]);
    expect(family(text, 'daqd_readings_ignored_total')).to.deep.equal([
      '# HELP daqd_readings_ignored_total Messages on error topics, never handled (loop protection)',
      '# TYPE daqd_readings_ignored_total counter',
      'daqd_readings_ignored_total{realm="wan"} 2',
    ]);
    expect(family(text, 'daqd_error_reports_total')).to.deep.equal([
      '# HELP daqd_error_reports_total Error reports on <base topic>/error.json, by outcome',
      '# TYPE daqd_error_reports_total counter',
      'daqd_error_reports_total{realm="wan",outcome="published"} 3',
      'daqd_error_reports_total{realm="wan",outcome="held_back"} 2',
      'daqd_error_reports_total{realm="wan",outcome="no_base_topic"} 1',
    ]);
    expect(family(text, 'daqd_storage_queue_depth')).to.deep.equal([
      '# HELP daqd_storage_queue_depth Points accepted but not yet stored',
      '# TYPE daqd_storage_queue_depth gauge',
      'daqd_storage_queue_depth 7',
    ]);
    expect(text).to.match(
      /^# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes [1-9]\d*$/m,
    );

    // Totals are the channels' own: a second scrape does not add them again, a restarted channel starts at 0.
    channels = [counters('wan', { received: 1 }), counters('lan', { received: 9 })];
    depth = 0;
    const again = (await metrics.render()).text;
    expect(family(again, 'daqd_readings_received_total').slice(2)).to.deep.equal([
      'daqd_readings_received_total{realm="wan"} 1',
      'daqd_readings_received_total{realm="lan"} 9',
    ]);
    expect(again).to.contain('\ndaqd_storage_queue_depth 0\n');
  });

  it('takes what the components report: store writes, HTTP ingests, HTTP requests', async () => {
    const metrics = new Metrics({ channels: () => [], queueDepth: () => 0 });
    metrics.observeWrite(0.003, true);
    metrics.observeWrite(0.2, true);
    metrics.observeWrite(12, false);
    metrics.observeIngest('wan', 0.04);
    metrics.countRequest('ingest', 204);
    metrics.countRequest('ingest', 204);
    metrics.countRequest('export', 400);
    const { text } = await metrics.render();

    const writes = family(text, 'daqd_storage_write_duration_seconds');
    expect(writes.slice(0, 2)).to.deep.equal([
      '# HELP daqd_storage_write_duration_seconds Seconds one batch write to the store took, by outcome (ok, failed)',
      '# TYPE daqd_storage_write_duration_seconds histogram',
    ]);
    expect(writes).to.include.members([
      'daqd_storage_write_duration_seconds_bucket{le="0.001",outcome="ok"} 0',
      'daqd_storage_write_duration_seconds_bucket{le="0.005",outcome="ok"} 1',
      'daqd_storage_write_duration_seconds_bucket{le="0.25",outcome="ok"} 2',
      'daqd_storage_write_duration_seconds_bucket{le="10",outcome="failed"} 0',
      'daqd_storage_write_duration_seconds_bucket{le="+Inf",outcome="failed"} 1',
      'daqd_storage_write_duration_seconds_count{outcome="ok"} 2',
      'daqd_storage_write_duration_seconds_sum{outcome="failed"} 12',
    ]);

    const ingests = family(text, 'daqd_http_ingest_duration_seconds');
    expect(ingests.slice(0, 2)).to.deep.equal([
      '# HELP daqd_http_ingest_duration_seconds HTTP ingest: seconds from arrival until the readings are stored',
      '# TYPE daqd_http_ingest_duration_seconds histogram',
    ]);
    expect(ingests).to.include.members([
      'daqd_http_ingest_duration_seconds_bucket{le="0.025",realm="wan"} 0',
      'daqd_http_ingest_duration_seconds_bucket{le="0.05",realm="wan"} 1',
      'daqd_http_ingest_duration_seconds_count{realm="wan"} 1',
    ]);

    expect(family(text, 'daqd_http_requests_total')).to.deep.equal([
      '# HELP daqd_http_requests_total HTTP requests answered, by route and status',
      '# TYPE daqd_http_requests_total counter',
      'daqd_http_requests_total{route="ingest",status="204"} 2',
      'daqd_http_requests_total{route="export",status="400"} 1',
    ]);
  });

  it('keeps each instance in a registry of its own', async () => {
    const one = new Metrics({ channels: () => [counters('a', { received: 1 })], queueDepth: () => 0 });
    const two = new Metrics({ channels: () => [counters('b', { received: 2 })], queueDepth: () => 0 });
    one.countRequest('health', 200);
    const first = (await one.render()).text;
    const second = (await two.render()).text;
    expect(first).to.contain('daqd_readings_received_total{realm="a"} 1').and.not.contain('realm="b"');
    expect(second).to.contain('daqd_readings_received_total{realm="b"} 2').and.not.contain('realm="a"');
    expect(family(second, 'daqd_http_requests_total').slice(2)).to.deep.equal([]);
  });
});
