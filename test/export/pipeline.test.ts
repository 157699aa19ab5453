import { expect } from 'chai';
import type { Topology } from '../../lib/acquire/decode/topology.js';
import type { Cell, QueryResult, SeriesQuery, Sink } from '../../lib/acquire/sink/sink.js';
import { DecodeError, NotFoundError, QueryError } from '../../lib/core/errors.js';
import { formatForSuffix } from '../../lib/export/format/registry.js';
import { type ExportRequest, exportAddress, exportTitle, runExport } from '../../lib/export/pipeline.js';

type Row = [bigint, ...Cell[]];

/**
 * A store holding one measurement's rows in memory, for the stage order; it records the queries it gets,
 * how many rows were read and whether the row stream was closed.
 */
class RowStore implements Sink {
  readonly kind = 'memory';
  readonly queries: SeriesQuery[] = [];
  read = 0;
  closed = false;

  constructor(
    private readonly database: string,
    private readonly measurement: string,
    private readonly columns: string[],
    private readonly data: Row[],
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async write(): Promise<void> {}
  async databases(): Promise<string[]> {
    return [];
  }
  async measurements(): Promise<string[]> {
    return [this.measurement];
  }
  async ping(): Promise<boolean> {
    return true;
  }

  async query(q: SeriesQuery): Promise<QueryResult> {
    this.queries.push(q);
    if (q.database !== this.database || q.measurement !== this.measurement)
      return { columns: [], rows: this.rows([]) };
    const picked = (q.include ?? this.columns).filter(
      (c) => this.columns.includes(c) && !q.exclude?.includes(c),
    );
    const indexes = picked.map((c) => this.columns.indexOf(c) + 1);
    let rows = this.data
      .filter((r) => r[0] >= q.from && r[0] <= q.to)
      .map((r): Row => [r[0], ...indexes.map((i) => r[i] as Cell)]);
    if (q.order === 'desc') rows = rows.reverse();
    if (q.limit !== undefined) rows = rows.slice(0, q.limit);
    return { columns: picked, rows: this.rows(rows) };
  }

  private async *rows(rows: Row[]): AsyncGenerator<Row> {
    try {
      for (const row of rows) {
        this.read++;
        yield row;
      }
    } finally {
      this.closed = true;
    }
  }
}

const TOPOLOGY: Topology = { realm: 'wan', network: 'exp', gateway: 'gw', node: 'node-1', slot: 'data.json' };
const S = 1_000_000_000n;

function request(extra: Partial<ExportRequest> = {}): ExportRequest {
  return {
    topology: TOPOLOGY,
    kind: 'data',
    from: 0n,
    to: 100n * S,
    order: 'asc',
    fill: [],
    output: { format: formatForSuffix('csv') },
    tagFields: ['sensor_id'],
    ...extra,
  };
}

function store(): RowStore {
  return new RowStore(
    'wan_exp',
    'gw_node_1_sensors',
    ['temperature', 'sensor_id'],
    [
      [1n * S, 20, 'a'],
      [2n * S, null, 'a'],
      [3n * S, 22, 'b'],
      [4n * S, null, 'b'],
      [5n * S, 24, 'b'],
    ],
  );
}

async function text(body: AsyncIterable<string | Uint8Array>): Promise<string> {
  let out = '';
  for await (const chunk of body) out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
  return out;
}

describe('export pipeline: address → query → fill → format', () => {
  it('addresses readings and events as Kotori names them', () => {
    expect(exportAddress(TOPOLOGY, 'data')).to.deep.equal({
      database: 'wan_exp',
      measurement: 'gw_node_1_sensors',
    });
    expect(exportAddress(TOPOLOGY, 'event')).to.deep.equal({
      database: 'wan_exp',
      measurement: 'gw_node_1_events',
    });
    expect(exportAddress({ realm: 'lan', node: 'n-7', slot: '' }, 'data')).to.deep.equal({
      database: 'lan_n_7',
      measurement: 'sensors',
    });
    expect(() => exportAddress({ ...TOPOLOGY, network: 'x"y' }, 'data')).to.throw(DecodeError);
    expect(exportTitle(TOPOLOGY)).to.equal('wan / exp / gw / node-1');
  });

  it('queries the store with the request and formats the rows', async () => {
    const sink = store();
    const result = await runExport(
      request({ from: 2n * S, to: 4n * S, exclude: ['sensor_id'], limit: 10 }),
      sink,
    );
    expect(result.kind).to.equal('rows');
    if (result.kind !== 'rows') return;
    expect(sink.queries).to.deep.equal([
      {
        database: 'wan_exp',
        measurement: 'gw_node_1_sensors',
        from: 2n * S,
        to: 4n * S,
        include: undefined,
        exclude: ['sensor_id'],
        order: 'asc',
        limit: 10,
      },
    ]);
    expect(await text(result.body)).to.equal(
      'time,temperature\n1970-01-01T00:00:02Z,\n1970-01-01T00:00:03Z,22\n1970-01-01T00:00:04Z,\n',
    );
    expect(sink.closed).to.equal(true);
  });

  it('fills after the query and before the format, in the order given', async () => {
    const padded = await runExport(
      request({ fill: ['pad'], output: { format: formatForSuffix('ndjson') } }),
      store(),
    );
    if (padded.kind !== 'rows') throw new Error(padded.kind);
    const temps = (await text(padded.body))
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { temperature: number }).temperature);
    expect(temps).to.deep.equal([20, 20, 22, 22, 24]);
    const interpolated = await runExport(
      request({ fill: ['interpolate'], include: ['temperature'] }),
      store(),
    );
    if (interpolated.kind !== 'rows') throw new Error(interpolated.kind);
    expect(await text(interpolated.body)).to.contain('1970-01-01T00:00:02Z,21\n');
  });

  it('hands the realm’s tag fields to the format as tag columns (line protocol)', async () => {
    const result = await runExport(
      request({ output: { format: formatForSuffix('lp') }, to: 1n * S }),
      store(),
    );
    if (result.kind !== 'rows') throw new Error(result.kind);
    expect(await text(result.body)).to.equal(`gw_node_1_sensors,sensor_id=a temperature=20 ${1n * S}\n`);
  });

  it('is empty when the store has no rows or no such measurement, and closes the row stream', async () => {
    const sink = store();
    expect(await runExport(request({ from: 50n * S }), sink)).to.deep.equal({
      kind: 'empty',
      database: 'wan_exp',
      measurement: 'gw_node_1_sensors',
    });
    expect(sink.closed).to.equal(true);
    expect((await runExport(request({ kind: 'event' }), sink)).kind).to.equal('empty');
  });

  it('reads rows only as the body is consumed, and close() ends the row stream', async () => {
    const sink = store();
    const result = await runExport(request({ output: { format: formatForSuffix('json') } }), sink);
    if (result.kind !== 'rows') throw new Error(result.kind);
    // One row was read to know the export is not empty; the body has not been touched.
    expect(sink.read).to.equal(1);
    await result.close();
    expect(sink.closed).to.equal(true);
    expect(sink.read).to.equal(1);
  });

  it('scalar: the first value of a field, as text; NotFoundError without one', async () => {
    const sink = store();
    const first = await runExport(request({ output: { scalar: 'temperature' } }), sink);
    expect(first).to.deep.equal({
      kind: 'scalar',
      text: '20',
      database: 'wan_exp',
      measurement: 'gw_node_1_sensors',
    });
    expect(sink.queries[0]?.include).to.deep.equal(['temperature']);
    const last = await runExport(request({ output: { scalar: 'temperature' }, order: 'desc' }), sink);
    expect(last).to.include({ text: '24' });
    let thrown: unknown;
    try {
      await runExport(request({ output: { scalar: 'pressure' } }), sink);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(NotFoundError);
  });

  it('sorts by a column after filling (in time order), limits after sorting, and may leave out time', async () => {
    const sink = store();
    const result = await runExport(
      request({
        fill: ['pad'],
        sort: { by: ['temperature', 'sensor_id'], direction: 'desc', limit: 4 },
        time: false,
      }),
      sink,
    );
    if (result.kind !== 'rows') throw new Error(result.kind);
    // pad: 20, 20, 22, 22, 24 in time order; then temperature descending, ties by sensor_id descending.
    expect(await text(result.body)).to.equal('temperature,sensor_id\n24,b\n22,b\n22,b\n20,a\n');
    expect(sink.queries[0]).to.include({ order: 'asc', limit: undefined });
    expect(sink.closed).to.equal(true);
  });

  it('sort: a column the export does not have is a QueryError before any body', async () => {
    const refused = await runExport(request({ sort: { by: ['pressure'], direction: 'asc' } }), store()).catch(
      (e) => e,
    );
    expect(refused).to.be.instanceOf(QueryError);
  });

  it('scalar with sort: the first value after sorting by another column', async () => {
    const sink = store();
    const result = await runExport(
      request({ output: { scalar: 'sensor_id' }, sort: { by: ['temperature'], direction: 'desc' } }),
      sink,
    );
    expect(result).to.include({ kind: 'scalar', text: 'b' });
    expect(sink.queries[0]?.include).to.deep.equal(['sensor_id', 'temperature']);
    const lowest = await runExport(
      request({ output: { scalar: 'temperature' }, sort: { by: ['temperature'], direction: 'asc' } }),
      sink,
    );
    expect(lowest).to.include({ text: '20' });
  });
});
