/**
 * runtime.test.ts — process-wide settings: setNumThreads caps libtorch's intra-op threads and
 * OpenBLAS's own pool (when OpenBLAS is the BLAS in use), as reported by info().
 */
import { describe, expect, it } from 'vitest';
import * as nt from '../lib';

const openBlas = nt.info().blas.includes('openblas');

describe('setNumThreads', () => {
  it('sets libtorch intra-op threads', () => {
    const before = nt.getNumThreads();
    try {
      nt.setNumThreads(1);
      expect(nt.getNumThreads()).toBe(1);
      expect(nt.info().numThreads).toBe(1);
    } finally {
      nt.setNumThreads(before);
    }
  });

  it.runIf(openBlas)('also caps OpenBLAS threads (info().blasThreads)', () => {
    const before = nt.getNumThreads();
    try {
      nt.setNumThreads(1);
      expect(nt.info().blasThreads).toBe(1);
      nt.setNumThreads(2);
      expect(nt.info().blasThreads).toBe(2);
      // A BLAS-backed op still gives the right answer after the change.
      const a = nt.tensor([[1, 2], [3, 4]]);
      expect(a.matmul(a).arraySync()).toEqual([[7, 10], [15, 22]]);
    } finally {
      nt.setNumThreads(before);
    }
  });

  it.skipIf(openBlas)('reports blasThreads null when the BLAS is not OpenBLAS (skipped: OpenBLAS is loaded)', () => {
    expect(nt.info().blasThreads).toBeNull();
  });
});
