/**
 * report.test.ts — nt.report: SVG line charts (points placed by value, gaps for non-finite values,
 * escaped names), confusion matrices and their PNG heatmap, report.html self-contained and
 * escaped, written atomically; then a report rendered in headless Debian Chromium with its curves
 * (SVG polylines with their points, laid out) and images (decoded, naturalWidth > 0) checked.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-report-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A chromium binary, or undefined (the rendering test is skipped, visibly). */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

/** The points of each polyline in an SVG string, as [x, y] pairs. */
function polylines(svg: string): { name: string; points: number[][] }[] {
  return [...svg.matchAll(/<polyline class="series" data-name="([^"]*)"[^>]* points="([^"]*)"/g)].map((m) => ({
    name: m[1],
    points: m[2] === '' ? [] : m[2].split(' ').map((p) => p.split(',').map(Number)),
  }));
}

function sampleReport(): nt.report.Report {
  const counts = nt.report.confusionMatrix([0, 0, 1, 1, 2, 2], [0, 0, 1, 2, 2, 2], 3);
  const grid = nt.tidy(() => nt.linspace(-1, 1, 4 * 8 * 8).reshape([4, 1, 8, 8]));
  const gridPng = nt.io.imageGridPng(grid, { nrow: 2 });
  grid.dispose();
  return {
    title: 'a <test> run',
    config: { epochs: 3, lr: 0.001 },
    sections: [
      {
        title: 'Classifier',
        facts: { 'test accuracy': '83.33 %' },
        charts: [
          { title: 'Loss', series: [{ name: 'loss', values: [2.1, 1.2, 0.7] }, { name: 'val_loss', values: [2.0, 1.4, 0.9] }] },
          { title: 'Accuracy', series: [{ name: 'accuracy', values: [0.3, 0.6, 0.8] }] },
        ],
        images: [{ title: 'Confusion matrix', png: nt.report.confusionPng(counts) }, { title: 'Samples', png: gridPng }],
        table: { header: ['true \\ predicted', 'a', 'b', 'c'], rows: counts.map((row, i) => ['abc'[i], ...row]) },
        text: 'Total params: 1,234',
        textTitle: 'Model summary',
      },
    ],
  };
}

describe('line charts', () => {
  it('places each value by epoch and magnitude: the largest at the top, the smallest at the bottom', () => {
    const [line] = polylines(nt.report.lineChart('Loss', [{ name: 'loss', values: [3, 2, 1] }]));
    expect(line.points).toHaveLength(3);
    const xs = line.points.map((p) => p[0]);
    const ys = line.points.map((p) => p[1]);
    expect(xs[1] - xs[0]).toBeCloseTo(xs[2] - xs[1], 5);
    expect(xs[2]).toBeGreaterThan(xs[0]);
    expect(ys[0]).toBeCloseTo(44, 5); // top of the plot area (below the title and legend)
    expect(ys[2]).toBeCloseTo(224, 5); // bottom of the plot area
    expect(ys[1]).toBeCloseTo(134, 5);
  });

  it('shares the y scale between series, skips non-finite values, escapes names', () => {
    const svg = nt.report.lineChart('a & b', [
      { name: 'train <x>', values: [0, 10] },
      { name: 'val', values: [5, Number.NaN] },
    ]);
    const [train, val] = polylines(svg);
    expect(train.name).toBe('train &lt;x&gt;');
    expect(val.points).toHaveLength(1);
    expect(val.points[0][1]).toBeCloseTo((train.points[0][1] + train.points[1][1]) / 2, 5);
    expect(svg).toContain('a &amp; b');
    expect(svg).not.toContain('<x>');
  });

  it('draws a constant or single-value series in the middle instead of dividing by zero', () => {
    const [line] = polylines(nt.report.lineChart('flat', [{ name: 'x', values: [4] }]));
    expect(line.points).toEqual([[260, 134]]);
  });
});

describe('confusion matrices', () => {
  it('counts[true][predicted], with a clear error for mismatched lengths', () => {
    expect(nt.report.confusionMatrix([0, 1, 1, 2], [0, 1, 2, 2], 3)).toEqual([[1, 0, 0], [0, 1, 1], [0, 0, 1]]);
    expect(nt.report.confusionMatrix(new BigInt64Array([1n, 1n]), new BigInt64Array([0n, 1n]), 2)).toEqual([[0, 0], [1, 1]]);
    expect(() => nt.report.confusionMatrix([0, 1], [0], 2)).toThrow(/confusionMatrix: 2 labels but 1 predictions/);
  });

  it('heatmap PNG: 24 px per cell; a fully correct row is dark green on the diagonal, white elsewhere', async () => {
    const png = nt.report.confusionPng([[5, 0], [2, 2]]);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([49, 49, 3]);
    const pixel = (x: number, y: number): number[] => [...data.subarray((y * 49 + x) * 3, (y * 49 + x) * 3 + 3)];
    expect(pixel(12, 12)).toEqual([30, 120, 60]); // row 0, all correct
    expect(pixel(36, 12)).toEqual([255, 255, 255]); // row 0, never predicted 1
    expect(pixel(12, 36)).toEqual([228, 148, 148]); // row 1, half predicted 0: red at half strength
    expect(pixel(0, 0)).toEqual([255, 255, 255]); // grid line
  });
});

describe('report.html', () => {
  it('is self-contained: no scripts, every src a data: URI, no stylesheet links; text escaped', () => {
    const html = nt.report.renderReport(sampleReport());
    expect(html).not.toMatch(/<script|<link|<iframe/);
    const sources = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(sources).toHaveLength(2);
    expect(sources.every((s) => s.startsWith('data:image/png;base64,'))).toBe(true);
    expect(html).toContain('<title>a &lt;test&gt; run</title>');
    expect(polylines(html).map((l) => [l.name, l.points.length])).toEqual([['loss', 3], ['val_loss', 3], ['accuracy', 3]]);
    expect(html).toContain('&quot;lr&quot;: 0.001');
    expect(html).toContain('<details><summary>Model summary</summary><pre>Total params: 1,234</pre></details>');
  });

  it('sizes images from their PNG header, times their scale; refuses what is not a PNG', () => {
    const report = sampleReport();
    report.sections[0].images![1].scale = 3;
    const sizes = [...nt.report.renderReport(report).matchAll(/<img [^>]*width="(\d+)" height="(\d+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(sizes).toEqual([[73, 73], [66, 66]]);
    report.sections[0].images![0].png = Buffer.from('GIF89a not a png at all');
    expect(() => nt.report.renderReport(report)).toThrow(/report: images must be PNG files/);
  });

  it('charts a run whose loss went NaN or infinite, leaving those epochs out of its line', () => {
    const report = sampleReport();
    report.sections[0].charts![0].series[0].values = [2.1, Number.NaN, Number.POSITIVE_INFINITY, 0.7];
    const lines = polylines(nt.report.renderReport(report));
    expect(lines.map((l) => [l.name, l.points.length])).toEqual([['loss', 2], ['val_loss', 3], ['accuracy', 3]]);
    report.sections[0].charts![0].series[0].values = [2.1, '1.2' as unknown as number];
    expect(() => nt.report.renderReport(report)).toThrow(/values\[1\] must be a number, got string/);
  });

  it('is written atomically: the file appears whole and no temporary file is left beside it', async () => {
    const file = path.join(tmp, 'atomic', 'report.html');
    fs.mkdirSync(path.dirname(file));
    await nt.report.writeReport(file, sampleReport());
    expect(fs.readFileSync(file, 'utf8')).toBe(nt.report.renderReport(sampleReport()));
    expect(fs.readdirSync(path.dirname(file))).toEqual(['report.html']);
  });
});

describe.runIf(CHROMIUM !== undefined)('report.html in headless Chromium', () => {
  it('renders: SVG curves laid out with their points, images decoded, table and summary present', async () => {
    const file = path.join(tmp, 'report.html');
    await nt.report.writeReport(file, sampleReport());
    // A copy with a probe that records what the browser laid out, read back with --dump-dom.
    const probe = `<script>addEventListener('load', () => { document.body.setAttribute('data-probe', JSON.stringify({
      images: [...document.images].map((i) => [i.complete, i.naturalWidth, i.naturalHeight]),
      lines: [...document.querySelectorAll('svg.chart polyline.series')].map((p) => [p.dataset.name, p.points.numberOfItems, p.getBBox().width, p.getBBox().height]),
      rows: document.querySelectorAll('table tr').length, summary: document.querySelector('pre')?.textContent.includes('Total params') })); });</script>`;
    const probed = path.join(tmp, 'probed.html');
    fs.writeFileSync(probed, fs.readFileSync(file, 'utf8').replace('</body>', `${probe}</body>`));
    const dom = execFileSync(
      CHROMIUM as string,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        `--user-data-dir=${path.join(tmp, 'chromium-profile')}`, '--virtual-time-budget=5000', '--dump-dom', `file://${probed}`],
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const match = /data-probe="([^"]*)"/.exec(dom);
    expect(match, dom.slice(0, 500)).not.toBeNull();
    const result = JSON.parse(match![1].replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as {
      images: [boolean, number, number][];
      lines: [string, number, number, number][];
      rows: number;
      summary: boolean;
    };
    expect(result.images).toEqual([[true, 73, 73], [true, 2 * 10 + 2, 2 * 10 + 2]]); // natural sizes, decoded
    expect(result.lines.map(([name, points]) => [name, points])).toEqual([['loss', 3], ['val_loss', 3], ['accuracy', 3]]);
    expect(result.lines.every(([, , width, height]) => width > 300 && height > 50)).toBe(true);
    expect(result.rows).toBe(4);
    expect(result.summary).toBe(true);
  });
});
