// worker_compute.js — the computation workers.test.ts runs in each worker thread and checks on
// the main thread: a matmul, a conv2d and the conv weight's gradient, from data derived from k.
'use strict';

/** @param nt the nodetorch module (dist/ in workers, lib/ in the test) */
function compute(nt, k) {
  const a = nt.arange(0, 12, { dtype: 'float32' }).reshape([3, 4]).add(k);
  const b = nt.linspace(-1, 1, 8).reshape([2, 4]).mul(k + 1);
  const x = nt.linspace(-1, 1, 50).reshape([1, 2, 5, 5]).mul(k + 1);
  const w = nt.linspace(-0.5, 0.5, 54).reshape([3, 2, 3, 3]).requiresGrad_();
  const y = nt.nn.F.conv2d(x, w, null, { padding: 1 });
  y.pow(2).mean().backward();
  return { matmul: a.matmul(b.t()).arraySync(), conv: y.detach().arraySync(), grad: w.grad.arraySync() };
}

module.exports = { compute };
