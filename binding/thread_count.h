// thread_count.h — nt.setNumThreads on every thread that runs libtorch work. OpenMP's thread count
// is a per-thread setting, and at::set_num_threads sets it on the calling (JS) thread only, so a
// worker thread kept OpenMP's default (every CPU) for whatever calls OpenMP directly (oneDNN in a
// frozen graph): nt.setNumThreads(1) did not hold there, and where the process is pinned to fewer
// CPUs than that default, its spinning OpenMP workers made a call ~400× slower.
#pragma once

namespace nt {

// Sets the intra-op thread count (and OpenBLAS's) on the calling thread and records it for the rest.
void SetThreadCount(int n);

// Applies the recorded count to the calling thread if it changed since this thread last did:
// called before work runs on a thread other than the JS thread.
void ApplyThreadCount();

}  // namespace nt
