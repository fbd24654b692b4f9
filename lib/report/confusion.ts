/**
 * confusion.ts — a classifier's confusion matrix: counts from predicted and true labels, and a
 * PNG heatmap of it (rows: true class, columns: predicted; darker = more, per-row normalized).
 */
import { encodePng } from '../io/png';

/** counts[t][p]: samples of true class t predicted as p. */
export function confusionMatrix(truth: ArrayLike<number | bigint>, predicted: ArrayLike<number | bigint>, classes: number): number[][] {
  if (truth.length !== predicted.length) throw new RangeError(`confusionMatrix: ${truth.length} labels but ${predicted.length} predictions`);
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = Number(truth[i]);
    const p = Number(predicted[i]);
    if (t >= 0 && t < classes && p >= 0 && p < classes) counts[t][p]++;
  }
  return counts;
}

/** The matrix as a PNG heatmap, `cell` pixels per entry, a 1-pixel white grid. */
export function confusionPng(counts: number[][], cell = 24): Buffer {
  const k = counts.length;
  const size = k * cell + 1;
  const data = new Uint8Array(size * size * 3).fill(255);
  counts.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((c, p) => {
      const shade = 1 - c / total; // 1 = white, 0 = full color
      const rgb = t === p ? [Math.round(30 + 225 * shade), Math.round(120 + 135 * shade), Math.round(60 + 195 * shade)] : [Math.round(200 + 55 * shade), Math.round(40 + 215 * shade), Math.round(40 + 215 * shade)];
      for (let y = t * cell + 1; y < (t + 1) * cell; y++) {
        for (let x = p * cell + 1; x < (p + 1) * cell; x++) data.set(rgb, (y * size + x) * 3);
      }
    });
  });
  return encodePng({ data, width: size, height: size, channels: 3 });
}
