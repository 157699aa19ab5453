import http from 'node:http';

/** One statement's answer as InfluxDB 1.x gives it. */
interface StatementResult {
  series?: { name?: string; columns: string[]; values: unknown[][] }[];
  error?: string;
}

/**
 * The few InfluxDB 1.x HTTP calls the benchmark makes itself (setup, baseline writes, counting),
 * on a keep-alive agent of its own so they do not share sockets with anything measured.
 */
export class InfluxClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly host: string;
  private readonly port: number;

  constructor(url: string) {
    const parsed = new URL(url);
    this.host = parsed.hostname;
    this.port = Number(parsed.port);
  }

  close(): void {
    this.agent.destroy();
  }

  async ping(): Promise<boolean> {
    try {
      const { status } = await this.request('GET', '/ping');
      return status === 204;
    } catch {
      return false;
    }
  }

  /** POST /write; throws unless InfluxDB answers 204. */
  async write(database: string, body: Buffer | string, precision = 'n'): Promise<void> {
    const path = `/write?db=${encodeURIComponent(database)}&precision=${precision}`;
    const { status, text } = await this.request('POST', path, body);
    if (status !== 204) throw new Error(`influxd /write ${database}: HTTP ${status}: ${text}`);
  }

  /** POST /query; the statement results, throwing on any error in them. */
  async query(statement: string, database?: string): Promise<StatementResult[]> {
    const form = new URLSearchParams({ q: statement });
    if (database !== undefined) form.set('db', database);
    const { status, text } = await this.request(
      'POST',
      '/query',
      form.toString(),
      'application/x-www-form-urlencoded',
    );
    const answer = JSON.parse(text) as { results?: StatementResult[]; error?: string };
    const failed = answer.error ?? answer.results?.find((r) => r.error)?.error;
    if (status !== 200 || failed !== undefined)
      throw new Error(`influxd ${statement}: HTTP ${status}: ${failed ?? text}`);
    return answer.results ?? [];
  }

  /**
   * Points stored in `database` (the count of field `field` over every measurement, or over the
   * measurements matching `measurement`, a regular expression); 0 while the database does not exist.
   */
  async count(database: string, field: string, measurement = '.*'): Promise<number> {
    let results: StatementResult[];
    try {
      results = await this.query(`SELECT count("${field}") FROM /${measurement}/`, database);
    } catch (err) {
      if (/database not found/.test(String(err))) return 0;
      throw err;
    }
    let total = 0;
    for (const series of results[0]?.series ?? []) for (const row of series.values) total += Number(row[1]);
    return total;
  }

  /** GET (or POST) and read the whole answer. */
  request(
    method: 'GET' | 'POST',
    path: string,
    body?: Buffer | string,
    contentType = 'text/plain; charset=utf-8',
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {};
      if (body !== undefined) {
        headers['content-type'] = contentType;
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = http.request(
        { host: this.host, port: this.port, method, path, headers, agent: this.agent },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
