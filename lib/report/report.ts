/**
 * report.ts — the self-contained report.html of a training run: metric curves as inline SVG,
 * images (sample grids, confusion matrix) as data: URIs, tables, the model summary, the run
 * configuration and timing. No scripts and no external resources, so it opens anywhere.
 */
import { writeFileAtomic } from '../io/atomic_file';
import { checkOptions, defineOptions, rule } from '../options';
import { escapeHtml, lineChart, type Series } from './chart';

export interface ReportSection {
  title: string;
  /** Line charts: each a title and its series (one value per epoch). */
  charts?: { title: string; series: Series[]; xLabel?: string }[];
  /** PNG images, shown `scale` times their size (default 1; pixels stay sharp). */
  images?: { title: string; png: Buffer; scale?: number }[];
  /** A table: header row and body rows. */
  table?: { header: string[]; rows: (string | number)[][] };
  /** Preformatted text (e.g. a model summary), folded under `textTitle` (default 'Details'). */
  text?: string;
  textTitle?: string;
  /** Short key/value facts (metrics, timings). */
  facts?: Record<string, string | number>;
}

export interface Report {
  title: string;
  /** The run configuration (CLI flags, hyperparameters). */
  config: Record<string, unknown>;
  sections: ReportSection[];
}

type Element<T> = NonNullable<T> extends readonly (infer E)[] ? E : never;
const SERIES_OPTIONS = defineOptions<Series>({ name: rule.string({ required: true }), values: rule.array(rule.number({ nonFinite: true })) });
const SECTION_OPTIONS = defineOptions<ReportSection>({
  title: rule.string({ required: true }),
  charts: rule.array(rule.object(defineOptions<Element<ReportSection['charts']>>({
    title: rule.string({ required: true }),
    series: { ...rule.array(rule.object(SERIES_OPTIONS)), required: true },
    xLabel: rule.string(),
  }))),
  images: rule.array(rule.object(defineOptions<Element<ReportSection['images']>>({
    title: rule.string({ required: true }),
    png: rule.instance(Buffer, { required: true }),
    scale: rule.number({ min: 0, gt: true }),
  }))),
  table: rule.object(defineOptions<NonNullable<ReportSection['table']>>({
    header: { ...rule.array(rule.string()), required: true },
    rows: { ...rule.array(rule.array(rule.any())), required: true },
  })),
  text: rule.string(),
  textTitle: rule.string(),
  // any record of printable values
  facts: rule.any(),
});
const REPORT_OPTIONS = defineOptions<Report>({
  title: rule.string({ required: true }),
  // any JSON-serializable run configuration
  config: rule.any({ required: true }),
  sections: { ...rule.array(rule.object(SECTION_OPTIONS)), required: true },
});

const STYLE = `body{font-family:system-ui,sans-serif;margin:24px auto;padding:0 16px;max-width:1040px;color:#222}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
.charts,.images{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-size:12px;color:#555}
img{image-rendering:pixelated;border:1px solid #ddd;max-width:100%;height:auto}pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}
summary{cursor:pointer;margin-top:12px;font-size:14px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{font-weight:bold}dd{margin:0}`;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** [width, height] from a PNG's IHDR chunk. */
function pngSize(png: Buffer): [number, number] {
  if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new TypeError('report: images must be PNG files (Buffer)');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

function section(s: ReportSection): string {
  const out = [`<section><h2>${escapeHtml(s.title)}</h2>`];
  if (s.facts) {
    out.push('<dl>', ...Object.entries(s.facts).map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(String(v))}</dd>`), '</dl>');
  }
  if (s.charts?.length) out.push('<div class="charts">', ...s.charts.map((c) => lineChart(c.title, c.series, c.xLabel)), '</div>');
  if (s.images?.length) {
    out.push('<div class="images">');
    for (const img of s.images) {
      const [width, height] = pngSize(img.png).map((v) => Math.round(v * (img.scale ?? 1)));
      out.push(`<figure><img alt="${escapeHtml(img.title)}" width="${width}" height="${height}" src="data:image/png;base64,${img.png.toString('base64')}"><figcaption>${escapeHtml(img.title)}</figcaption></figure>`);
    }
    out.push('</div>');
  }
  if (s.table) {
    out.push('<table><tr>', ...s.table.header.map((h) => `<th>${escapeHtml(h)}</th>`), '</tr>');
    for (const row of s.table.rows) out.push('<tr>', ...row.map((c) => `<td>${escapeHtml(String(c))}</td>`), '</tr>');
    out.push('</table>');
  }
  if (s.text) out.push(`<details><summary>${escapeHtml(s.textTitle ?? 'Details')}</summary><pre>${escapeHtml(s.text)}</pre></details>`);
  out.push('</section>');
  return out.join('\n');
}

/** The report as one HTML document. */
export function renderReport(report: Report): string {
  checkOptions('report.renderReport', REPORT_OPTIONS, report);
  return [
    '<!DOCTYPE html>',
    `<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title><style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(report.title)}</h1>`,
    ...report.sections.map(section),
    `<section><h2>Run configuration</h2><pre>${escapeHtml(JSON.stringify(report.config, null, 2))}</pre></section>`,
    '</body></html>',
  ].join('\n');
}

/** Writes the report to `file` atomically. */
export async function writeReport(file: string, report: Report): Promise<void> {
  checkOptions('report.writeReport', REPORT_OPTIONS, report);
  await writeFileAtomic('report', file, renderReport(report));
}
