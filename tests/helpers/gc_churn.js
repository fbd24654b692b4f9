// gc_churn.js — the GC backstop's RSS check, run by memory.test.ts in a process of its own (the test
// runner's grown heap keeps tens of thousands more undisposed tensors alive between scavenges than a
// user's process does): a warm-up round, then three measured rounds of 150k undisposed ops each on
// an [8, 8] tensor, yielding every 1,000; prints {rssBefore, rssGrowths (one per measured round),
// peak, liveAtStart} as JSON. V8 may grow its young generation once, in any round (a one-time
// step in RSS), as may glibc keeping a higher peak; a leak grows RSS in every round.
'use strict';
const nt = require('../../dist');

const tick = () => new Promise((resolve) => setImmediate(resolve));
const live = () => nt.memory().numTensors;

/** `ops` results never disposed, in chunks of 1000 (finalizers run when the loop yields); the highest live count seen. */
async function churn(a, ops) {
  let peak = 0;
  for (let done = 0; done < ops; done += 1000) {
    for (let i = 0; i < 1000; i++) a.add(i);
    await tick();
    peak = Math.max(peak, live());
  }
  return peak;
}

async function main() {
  nt.manualSeed(0);
  const a = nt.randn([8, 8]);
  const liveAtStart = live();
  let peak = await churn(a, 150_000);
  const rssBefore = process.memoryUsage().rss;
  const rssGrowths = [];
  for (let round = 0, rss = rssBefore; round < 3; round++) {
    peak = Math.max(peak, await churn(a, 150_000));
    const now = process.memoryUsage().rss;
    rssGrowths.push(now - rss);
    rss = now;
  }
  process.stdout.write(JSON.stringify({ rssBefore, rssGrowths, peak, liveAtStart }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
