import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef } from 'react';

// Only the parts the console draws (bar and line charts): chart.js is tree-shaken to what is registered here.
Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
);

export interface ChartSeries {
  label: string;
  values: number[];
  color: string;
}

/**
 * A bar or line chart drawn by chart.js on a canvas. A canvas says nothing to a screen reader, so the same figures
 * are given as a table (visually hidden) beside it: the chart is the picture, the table is the data.
 */
export function ChartFigure(props: {
  title: string;
  kind: 'bar' | 'line';
  labels: string[];
  series: ChartSeries[];
  format?: (value: number) => string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { title, kind, labels, series, format } = props;
  useEffect(() => {
    if (!canvas.current) return;
    const config: ChartConfiguration<'bar' | 'line'> = {
      type: kind,
      data: {
        labels,
        datasets: series.map((s) => ({
          label: s.label,
          data: s.values,
          backgroundColor: s.color,
          borderColor: s.color,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ...(format ? { ticks: { callback: (v) => format(Number(v)) } } : {}) } },
      },
    };
    const chart = new Chart(canvas.current, config);
    return () => chart.destroy();
  }, [kind, labels, series, format]);
  const show = format ?? ((value: number) => String(value));
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="chart-canvas">
        <canvas ref={canvas} role="img" aria-label={`${title} (the table below holds the figures)`} />
      </div>
      <table className="visually-hidden">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Period</th>
            {series.map((s) => (
              <th key={s.label} scope="col">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {labels.map((label, i) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              {series.map((s) => (
                <td key={s.label}>{show(s.values[i] ?? 0)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
