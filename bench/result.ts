import { median } from './stats.js';

/** One figure of a scenario: its value in each run and their median. */
export interface Figure {
  name: string;
  unit: string;
  runs: number[];
  median: number;
}

/** What a scenario reports: figures (medians of runs) and notes (targets, resolution, problems). */
export interface ScenarioResult {
  id: string;
  title: string;
  figures: Figure[];
  notes: string[];
}

/** Collects per-run values of named figures into medians. */
export class FigureSet {
  private readonly figures = new Map<string, { unit: string; runs: number[] }>();

  add(name: string, unit: string, value: number): void {
    let figure = this.figures.get(name);
    if (figure === undefined) {
      figure = { unit, runs: [] };
      this.figures.set(name, figure);
    }
    figure.runs.push(value);
  }

  list(): Figure[] {
    return [...this.figures].map(([name, f]) => ({
      name,
      unit: f.unit,
      runs: f.runs,
      median: median(f.runs),
    }));
  }

  medianOf(name: string): number {
    return median(this.figures.get(name)?.runs ?? []);
  }
}
