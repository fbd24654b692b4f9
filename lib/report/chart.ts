/**
 * chart.ts — line charts as standalone SVG (no scripts, no external resources) for report.html:
 * one polyline per series over the epochs, with axes, ticks and a legend between the title and
 * the plot (so it never hides a curve).
 */

export interface Series {
  name: string;
  values: readonly number[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const WIDTH = 480;
const HEIGHT = 260;
const PAD = { left: 56, right: 16, top: 44, bottom: 36 };
const LEGEND_Y = 32;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Up to ~5 round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const step = 10 ** Math.floor(Math.log10(span / 4));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 5) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-12; v += nice) out.push(Number(v.toPrecision(12)));
  return out;
}

/** An SVG line chart of the series (x = 1, 2, ... per value, e.g. epochs). */
export function lineChart(title: string, series: readonly Series[], xLabel = 'epoch'): string {
  const finite = series.flatMap((s) => s.values.filter(Number.isFinite));
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = finite.length > 0 ? Math.min(...finite) : 0;
  let hi = finite.length > 0 ? Math.max(...finite) : 1;
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number): number => PAD.left + (n === 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const y = (v: number): number => PAD.top + (1 - (v - lo) / (hi - lo)) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" class="chart" role="img" aria-label="${escapeHtml(title)}">`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeHtml(title)}</text>`,
    `<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  ];
  for (const t of ticks(lo, hi)) {
    parts.push(`<line x1="${PAD.left - 4}" x2="${PAD.left + plotW}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${t}</text>`);
  }
  const every = Math.max(1, Math.ceil(n / 10));
  for (let i = 0; i < n; i += every) {
    parts.push(`<text x="${x(i).toFixed(1)}" y="${PAD.top + plotH + 16}" text-anchor="middle" font-size="11">${i + 1}</text>`);
  }
  parts.push(`<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 4}" text-anchor="middle" font-size="12">${escapeHtml(xLabel)}</text>`);
  let legendX = PAD.left;
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const points = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null)).filter((p): p is string => p !== null);
    parts.push(`<polyline class="series" data-name="${escapeHtml(s.name)}" fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>`);
    for (const p of points) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${color}"/>`);
    parts.push(`<rect x="${legendX}" y="${LEGEND_Y - 4}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${legendX + 16}" y="${LEGEND_Y}" font-size="11">${escapeHtml(s.name)}</text>`);
    legendX += 28 + 7 * s.name.length;
  });
  parts.push('</svg>');
  return parts.join('\n');
}


