// thread_count_child.js — for tests/threads.test.ts: with nt.setNumThreads(1), how many threads
// the process gains when an optimized ResNet-20 first predicts off the JS thread (the model's own
// predict thread, plus any OpenMP workers a worker thread starts when it ignores the setting).
'use strict';
const fs = require('node:fs');
const nt = require('../..');

const threads = () => fs.readdirSync('/proc/self/task').length;

(async () => {
  nt.setNumThreads(1);
  const model = nt.builders.resnet({ depth: 20 });
  await model.optimizeForInference();
  const x = nt.randn([1, 3, 32, 32]);
  model.predictSync(x);
  const before = threads();
  await model.predict(x);
  await model.predict(x);
  process.stdout.write(JSON.stringify({ added: threads() - before, cpus: require('node:os').availableParallelism() }));
})();
