import {
  BarController,
  BarElement,
  CategoryScale,
  Chart as ChartJs,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useId, useRef } from 'react';

// Only the pieces the console draws are registered, so the rest of chart.js is left out of the bundle. This module
// is imported by the pages that chart, never by the app shell, so chart.js lands in their chunks only.
ChartJs.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

export interface ChartSeries {
  label: string;
  values: number[];
}

export interface ChartProps {
  kind: 'line' | 'bar';
  /** Shown as the figure's caption and read by screen readers as the canvas's name. */
  title: string;
  /** One label per point on the x axis (days, months). */
  labels: string[];
  series: ChartSeries[];
  /** How a value is written on the axis, in tooltips and in the data table (e.g. money). */
  formatValue?: (value: number) => string;
  /** Bars of several series stacked into one (e.g. cost by model). */
  stacked?: boolean;
}

// Colour-blind-safe (Okabe–Ito), in a fixed order so a series keeps its colour between renders.
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

/**
 * A chart.js chart for the console's pages (operator and tenant areas alike). The canvas is an image to assistive
 * technology, so the same figures are also given as a table only screen readers see. The chart object lives as long
 * as the component and takes new data in place (no flicker, no leaked canvases when a query refetches).
 */
export function Chart({ kind, title, labels, series, formatValue = String, stacked = false }: ChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<ChartJs | null>(null);
  const captionId = useId();
  // The latest formatter, read by chart.js callbacks without rebuilding the chart when a caller passes a new closure.
  const format = useRef(formatValue);
  format.current = formatValue;

  useEffect(() => {
    if (!canvas.current) return;
    const instance = new ChartJs(canvas.current, {
      type: kind,
      data: { labels: [], datasets: [] },
      options: {
        // Animation off: charts are read, not watched, and screenshots taken by the tests stay reproducible.
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { stacked },
          y: { stacked, beginAtZero: true, ticks: { callback: (value) => format.current(Number(value)) } },
        },
        plugins: {
          legend: { display: true, position: 'bottom' },
          tooltip: {
            callbacks: { label: (item) => `${item.dataset.label ?? ''}: ${format.current(Number(item.parsed.y))}` },
          },
        },
      },
    });
    chart.current = instance;
    return () => {
      instance.destroy();
      chart.current = null;
    };
  }, [kind, stacked]);

  useEffect(() => {
    const instance = chart.current;
    if (!instance) return;
    instance.data.labels = labels;
    instance.data.datasets = series.map((s, index) => {
      const colour = PALETTE[index % PALETTE.length] ?? '#0072b2';
      return { label: s.label, data: s.values, backgroundColor: colour, borderColor: colour, pointRadius: 2 };
    });
    instance.update();
  }, [labels, series]);

  return (
    <figure className="chart">
      <figcaption id={captionId}>{title}</figcaption>
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-labelledby={captionId} />
      </div>
      <table className="visually-hidden">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Label</th>
            {series.map((s) => (
              <th scope="col" key={s.label}>
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {labels.map((label, row) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              {series.map((s) => (
                <td key={s.label}>{formatValue(s.values[row] ?? 0)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
