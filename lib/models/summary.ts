/**
 * summary.ts — the Keras-style model summary table: layer (type), output shape, parameter count,
 * the values each layer was called on (functional models), and the totals.
 */

export interface SummaryRow {
  name: string;
  className: string;
  /** Sample output shape (the batch dim is shown as None). */
  outputShape: readonly number[];
  params: number;
  /** Values the layer was called on (functional models: adds a "Connected to" column). */
  connectedTo?: readonly string[];
}

export function formatSummary(modelName: string, rows: readonly SummaryRow[]): string {
  const connections = rows.some((r) => r.connectedTo !== undefined);
  const header = ['Layer (type)', 'Output Shape', 'Param #', ...(connections ? ['Connected to'] : [])];
  const cells = rows.map((r) => [
    `${r.name} (${r.className})`,
    `(None, ${r.outputShape.join(', ')})`,
    r.params.toLocaleString('en-US'),
    ...(connections ? [(r.connectedTo ?? []).join(', ')] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)) + 2);
  const line = (c: string[]): string => c.map((v, i) => v.padEnd(widths[i])).join('').trimEnd();
  const total = rows.reduce((a, r) => a + r.params, 0);
  const width = widths.reduce((a, b) => a + b, 0);
  return [
    `Model: "${modelName}"`,
    '_'.repeat(width),
    line(header),
    '='.repeat(width),
    ...cells.flatMap((c, i) => [line(c), i < cells.length - 1 ? '_'.repeat(width) : '='.repeat(width)]),
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${total.toLocaleString('en-US')}`,
    'Non-trainable params: 0',
    '_'.repeat(width),
  ].join('\n');
}
