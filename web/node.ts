import type uPlotType from 'uplot';
import { insertReading } from './aligned-rows.js';
import { el, fetchJson, showValues } from './common.js';

/**
 * uPlot's script, added here (node.html preloads it) so that the page asks for its data while the chart
 * library still loads, and draws once both are there.
 */
const chartLibrary = new Promise<typeof uPlotType>((resolve, reject) => {
  const script = document.createElement('script');
  script.src = '/assets/uPlot.iife.min.js';
  script.addEventListener('load', () => {
    const library = (globalThis as unknown as { uPlot?: typeof uPlotType }).uPlot;
    if (library !== undefined) resolve(library);
    else reject(new Error('the chart library did not load'));
  });
  script.addEventListener('error', () => reject(new Error('the chart library did not load')));
  document.head.append(script);
});
// Awaited where the chart is drawn; this keeps a failure before then from counting as unhandled.
chartLibrary.catch(() => {});
let UPlot: typeof uPlotType | undefined;

interface NodeInfo {
  realm: string;
  address: string[];
  title: string;
  formats: string[];
  range: { from: string; to: string; fromMs: number; toMs: number };
}
type Row = Record<string, unknown> & { time: string };
interface LiveReading {
  time: number;
  fields: Record<string, number | string | boolean>;
}

/** The chart asks for at most this many time buckets per field. */
const MAX_POINTS = 2000;
/** Line styles by series, so fields differ by more than their colour. */
const STYLES: { stroke: string; dash: number[]; name: string }[] = [
  { stroke: '#1f5fbf', dash: [], name: 'solid' },
  { stroke: '#c2410c', dash: [10, 5], name: 'dashed' },
  { stroke: '#15803d', dash: [2, 4], name: 'dotted' },
  { stroke: '#7e22ce', dash: [12, 4, 2, 4], name: 'dash-dot' },
  { stroke: '#a16207', dash: [6, 3], name: 'short dashes' },
  { stroke: '#0f766e', dash: [1, 2], name: 'fine dots' },
];

const params = new URLSearchParams(location.search);
const realm = params.get('realm') ?? '';
const address = params.get('address') ?? '';
const state = {
  from: params.get('from') || 'now-24h',
  to: params.get('to') || 'now',
  hidden: new Set((params.get('hide') ?? '').split(',').filter((name) => name !== '')),
};

const chartBox = document.getElementById('chart')!;
const info = document.getElementById('info')!;
const latest = document.getElementById('latest')!;
const form = document.getElementById('range') as HTMLFormElement;
const fromInput = form.elements.namedItem('from') as HTMLInputElement;
const toInput = form.elements.namedItem('to') as HTMLInputElement;

let chart: uPlotType | undefined;
let fields: string[] = [];
let data: (number | null)[][] = [[]];
let view = { fromMs: 0, toMs: 0 };
let events: { time: number; label: string }[] = [];
let live: EventSource | undefined;
let loading = 0;
/** Set once a load has its rows: the chart's next draw marks `daqd:drawn`. */
let drawnMark = false;

function apiPath(file: string): string {
  const segments = address.split('/').map(encodeURIComponent).join('/');
  return `/api/${encodeURIComponent(realm)}/${segments}/${file}`;
}

function isLive(): boolean {
  return state.to.trim() === '' || state.to.trim() === 'now';
}

/** Bucket width for at most MAX_POINTS buckets over the range: whole seconds, at least one. */
function intervalFor(spanMs: number): string {
  return `${Math.max(1, Math.ceil(spanMs / MAX_POINTS / 1000))}s`;
}

function viewUrl(): string {
  const query = new URLSearchParams({ realm, address, from: state.from, to: state.to });
  if (state.hidden.size > 0) query.set('hide', [...state.hidden].join(','));
  return `/node?${query}`;
}

async function load(): Promise<void> {
  const ticket = ++loading;
  const started = performance.now();
  document.body.dataset['state'] = 'loading';
  info.textContent = 'Loading…';
  fromInput.value = state.from;
  toInput.value = state.to;
  for (const button of form.querySelectorAll<HTMLButtonElement>('button[data-from]')) {
    button.setAttribute('aria-pressed', String(button.dataset['from'] === state.from && isLive()));
  }
  history.replaceState(null, '', viewUrl());
  (document.getElementById('permalink') as HTMLAnchorElement).href = viewUrl();
  let node: NodeInfo;
  try {
    node = await fetchJson<NodeInfo>(
      `/view/node.json?${new URLSearchParams({ realm, address, from: state.from, to: state.to })}`,
    );
  } catch (err) {
    info.textContent = `Cannot show this range: ${(err as Error).message}`;
    document.body.dataset['state'] = 'error';
    return;
  }
  if (ticket !== loading) return;
  document.getElementById('title')!.textContent = node.title;
  document.title = `daqd — ${node.title}`;
  view = { fromMs: node.range.fromMs, toMs: node.range.toMs };
  const interval = intervalFor(view.toMs - view.fromMs);
  const range = new URLSearchParams({ from: node.range.from, to: node.range.to });
  // Marks for the Performance API (the benchmark reads them): data asked for, chart drawn.
  performance.mark('daqd:data-request');
  let rows: Row[];
  let eventRows: Row[];
  try {
    [rows, eventRows, UPlot] = await Promise.all([
      readRows(apiPath(`data.json?${range}&interval=${interval}&aggregate=mean`)),
      readRows(apiPath(`event.json?${range}`)),
      chartLibrary,
    ]);
  } catch (err) {
    if (ticket !== loading) return;
    info.textContent = `Cannot show the chart: ${(err as Error).message}`;
    document.body.dataset['state'] = 'error';
    return;
  }
  if (ticket !== loading) return;
  showDownloads(node, range);
  showEvents(eventRows);
  fields = [];
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      if (name !== 'time' && typeof value === 'number' && !fields.includes(name)) fields.push(name);
    }
  }
  fields.sort();
  data = [rows.map((row) => Date.parse(row.time) / 1000)];
  for (const name of fields)
    data.push(rows.map((row) => (typeof row[name] === 'number' ? (row[name] as number) : null)));
  drawnMark = true;
  draw();
  showFieldToggles();
  info.textContent =
    rows.length === 0
      ? 'No readings in this range.'
      : `${rows.length} points per field (mean per ${interval}), ${new Date(view.fromMs).toLocaleString()} – ${new Date(view.toMs).toLocaleString()}.`;
  document.body.dataset['points'] = String(rows.length);
  document.body.dataset['loadMs'] = String(Math.round(performance.now() - started));
  document.body.dataset['state'] = 'ready';
  openLive();
}

async function readRows(url: string): Promise<Row[]> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  // The export answers 404 for a range without rows.
  if (res.status === 404) return [];
  if (!res.ok) {
    info.textContent = `Cannot read ${url}: ${res.status}`;
    return [];
  }
  return (await res.json()) as Row[];
}

function size(): { width: number; height: number } {
  const width = Math.max(280, chartBox.clientWidth);
  return { width, height: Math.round(Math.min(420, Math.max(220, width * 0.5))) };
}

function draw(): void {
  chart?.destroy();
  chart = undefined;
  if (UPlot === undefined) return;
  const series: uPlotType.Series[] = [{ label: 'time' }];
  fields.forEach((name, i) => {
    const style = STYLES[i % STYLES.length]!;
    series.push({
      label: name,
      stroke: style.stroke,
      dash: style.dash,
      width: 2,
      show: !state.hidden.has(name),
      spanGaps: false,
    });
  });
  const opts: uPlotType.Options = {
    ...size(),
    series,
    scales: { x: { time: true, range: () => [view.fromMs / 1000, view.toMs / 1000] } },
    cursor: { drag: { x: true, y: false, setScale: false } },
    hooks: {
      setSelect: [
        (u) => {
          if (u.select.width < 5) return;
          const min = u.posToVal(u.select.left, 'x');
          const max = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          setRange(new Date(min * 1000).toISOString(), new Date(max * 1000).toISOString());
        },
      ],
      draw: [drawEvents, markDrawn],
    },
  };
  chart = new UPlot(opts, data as uPlotType.AlignedData, chartBox);
  chartBox.setAttribute(
    'aria-label',
    `Chart of ${fields.join(', ') || 'no fields'}; drag to zoom, arrow keys move, + and - zoom`,
  );
}

/** uPlot draws once its setup has run (a microtask after `new uPlot`): that is when the chart is there. */
function markDrawn(): void {
  if (!drawnMark) return;
  drawnMark = false;
  performance.mark('daqd:drawn');
}

/** Events as numbered dashed lines; the list below the chart says what each number is. */
function drawEvents(u: uPlotType): void {
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = '#444';
  ctx.fillStyle = '#111';
  ctx.setLineDash([4, 4]);
  ctx.lineWidth = 1;
  ctx.font = `${Math.round(12 * devicePixelRatio)}px sans-serif`;
  events.forEach((event, i) => {
    const x = u.valToPos(event.time / 1000, 'x', true);
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.fillText(`E${i + 1}`, x + 3, u.bbox.top + 12 * devicePixelRatio);
  });
  ctx.restore();
}

function showEvents(rows: Row[]): void {
  events = rows.map((row) => {
    const text = Object.entries(row).find(([name, value]) => name !== 'time' && typeof value === 'string');
    const label = typeof row['title'] === 'string' ? row['title'] : text ? String(text[1]) : 'event';
    return { time: Date.parse(row.time), label };
  });
  const list = document.getElementById('events')!;
  list.replaceChildren(
    ...(events.length === 0
      ? [el('li', 'none in this range')]
      : events.map((event, i) =>
          el('li', `E${i + 1} — ${new Date(event.time).toLocaleString()}: ${event.label}`),
        )),
  );
}

function showFieldToggles(): void {
  const box = document.getElementById('fields')!;
  const legend = el('legend', 'Fields');
  const toggles = fields.map((name, i) => {
    const style = STYLES[i % STYLES.length]!;
    const label = el('label');
    const check = el('input');
    check.type = 'checkbox';
    check.checked = !state.hidden.has(name);
    check.addEventListener('change', () => {
      if (check.checked) state.hidden.delete(name);
      else state.hidden.add(name);
      chart?.setSeries(i + 1, { show: check.checked });
      history.replaceState(null, '', viewUrl());
      (document.getElementById('permalink') as HTMLAnchorElement).href = viewUrl();
    });
    const swatch = el('span', '', 'swatch');
    swatch.style.borderTopColor = style.stroke;
    swatch.style.borderTopStyle =
      style.dash.length === 0 ? 'solid' : style.dash[0]! <= 2 ? 'dotted' : 'dashed';
    label.append(check, swatch, `${name} (${style.name})`);
    return label;
  });
  box.replaceChildren(
    legend,
    ...(toggles.length > 0 ? toggles : [el('span', 'no numeric fields in this range')]),
  );
}

function showDownloads(node: NodeInfo, range: URLSearchParams): void {
  const box = document.getElementById('downloads')!;
  const links = node.formats.map((format) => {
    const link = el('a', format.toUpperCase());
    link.href = apiPath(`data.${format}?${range}`);
    link.setAttribute('download', '');
    return link;
  });
  box.replaceChildren(...links.flatMap((link, i) => (i === 0 ? [link] : [' · ', link])));
}

/** New readings of the node, appended while the view ends at `now`. */
function openLive(): void {
  live?.close();
  live = undefined;
  delete document.body.dataset['live'];
  if (!isLive()) return;
  live = new EventSource(`/view/live?${new URLSearchParams({ realm, address })}`);
  document.body.dataset['live'] = 'connecting';
  live.onopen = () => {
    document.body.dataset['live'] = 'open';
  };
  live.onerror = () => {
    // EventSource reconnects by itself (after the `retry` the stream sent).
    document.body.dataset['live'] = 'reconnecting';
  };
  live.onmessage = (message) => {
    const readings = JSON.parse(message.data as string) as LiveReading[];
    for (const reading of readings) append(reading);
    const last = readings[readings.length - 1];
    if (last !== undefined) {
      latest.textContent = `Latest reading ${new Date(last.time).toLocaleTimeString()}: ${showValues(last.fields)}`;
    }
  };
}

function append(reading: LiveReading): void {
  const { columns } = insertReading(data, fields, reading.time / 1000, reading.fields);
  view.toMs = Math.max(view.toMs, reading.time, Date.now());
  if (columns || chart === undefined) {
    draw();
    showFieldToggles();
  } else chart.setData(data as uPlotType.AlignedData);
  document.body.dataset['points'] = String(data[0]!.length);
}

function setRange(from: string, to: string): void {
  state.from = from;
  state.to = to;
  void load();
}

/** Moves the view by `shift` of its span, or scales it by `zoom` around its middle. */
function move(shift: number, zoom = 1): void {
  const span = view.toMs - view.fromMs;
  const middle = view.fromMs + span / 2 + shift * span;
  const half = (span * zoom) / 2;
  const to = middle + half;
  const now = Date.now();
  setRange(
    new Date(middle - half).toISOString(),
    to >= now && isLive() ? 'now' : new Date(Math.min(to, now)).toISOString(),
  );
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  setRange(fromInput.value.trim() || 'now-24h', toInput.value.trim() || 'now');
});
for (const button of form.querySelectorAll<HTMLButtonElement>('button[data-from]')) {
  button.addEventListener('click', () => setRange(button.dataset['from']!, 'now'));
}
document.getElementById('earlier')!.addEventListener('click', () => move(-0.5));
document.getElementById('later')!.addEventListener('click', () => move(0.5));
document.getElementById('zoom-in')!.addEventListener('click', () => move(0, 0.5));
document.getElementById('zoom-out')!.addEventListener('click', () => move(0, 2));
// Focusable once its keys work: arrows move, + and - zoom.
chartBox.tabIndex = 0;
chartBox.addEventListener('keydown', (event) => {
  const actions: Record<string, () => void> = {
    ArrowLeft: () => move(-0.25),
    ArrowRight: () => move(0.25),
    '+': () => move(0, 0.5),
    '=': () => move(0, 0.5),
    '-': () => move(0, 2),
  };
  const action = actions[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
});
let resizing: number | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizing);
  resizing = window.setTimeout(() => chart?.setSize(size()), 150);
});
latest.textContent = '';

void load();
