/**
 * A line chart of a run's curves on uPlot, which draws on a canvas and needs no inline script or
 * eval, so it works under the panel's strict content security policy. Colours come from the
 * editor's theme variables; long curves are downsampled for drawing (spikes kept).
 */
import uPlot from 'uplot';
import { CurveSampler } from '../src/common/runReducer';
import { formatTick } from '../src/common/runView';

export interface Series<T extends { step: number } = { step: number }> {
  label: string;
  /** A theme colour variable, such as --vscode-charts-blue. */
  colorVariable: string;
  /** The run's own points, read through `value`: no copy of a long curve is made per frame. */
  points: readonly T[];
  value: (point: T) => number;
}

/** Points drawn per series at most: a few per pixel of a wide panel. */
const MAX_DRAWN_POINTS = 3000;

export class LineChart {
  private plot: uPlot | undefined;
  /** When uPlot last finished drawing (performance.now()); it draws in a microtask after `update`. */
  drawnAt = 0;
  drawnPoints = 0;
  /** One sampler per series, kept between frames: a long curve is summarised once, then only its new end. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each series reads its own point type
  private samplers: Array<CurveSampler<any>> = [];

  constructor(private readonly container: HTMLElement, private readonly title: string) {}

  /** Draws the series; the x axis is the optimizer step. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each series reads its own point type
  update(series: ReadonlyArray<Series<any>>): void {
    if (this.samplers.length !== series.length) this.samplers = series.map((s) => new CurveSampler(s.value, MAX_DRAWN_POINTS));
    const drawn = series.map((s, i) => this.samplers[i]!.sample(s.points));
    // uPlot wants one shared x array: the union of the steps, with gaps where a series has no point.
    const steps = [...new Set(drawn.flatMap((points) => points.map((p) => p.step)))].sort((a, b) => a - b);
    const index = new Map(steps.map((step, i) => [step, i]));
    const columns = drawn.map((points, s) => {
      const column: Array<number | null> = new Array<number | null>(steps.length).fill(null);
      for (const p of points) column[index.get(p.step)!] = series[s]!.value(p);
      return column;
    });
    this.drawnPoints = drawn.reduce((sum, points) => sum + points.length, 0);
    const data: uPlot.AlignedData = [steps, ...columns];
    if (!this.plot || this.plot.series.length !== series.length + 1) {
      this.plot?.destroy();
      this.plot = new uPlot(this.options(series), data, this.container);
    } else {
      this.plot.setData(data);
    }
  }

  resize(): void {
    this.plot?.setSize(this.size());
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(200, this.container.clientWidth), height: 160 };
  }

  private options(series: readonly Series[]): uPlot.Options {
    const theme = getComputedStyle(document.body);
    const color = (variable: string, fallback: string): string => theme.getPropertyValue(variable).trim() || fallback;
    const foreground = color('--vscode-foreground', '#888');
    const grid = color('--vscode-editorWidget-border', 'rgba(128,128,128,0.2)');
    const axis: uPlot.Axis = { stroke: foreground, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, values: (_plot, splits) => splits.map(formatTick) };
    return {
      ...this.size(),
      title: this.title,
      scales: { x: { time: false } },
      // Steps are whole numbers: ticks only at whole steps.
      axes: [{ ...axis, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000] }, { ...axis, size: 56 }],
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
      series: [
        { label: 'step' },
        ...series.map((s) => ({ label: s.label, stroke: color(s.colorVariable, foreground), width: 1.5, spanGaps: true, points: { show: false } })),
      ],
      hooks: { draw: [() => { this.drawnAt = performance.now(); }] },
    };
  }
}

