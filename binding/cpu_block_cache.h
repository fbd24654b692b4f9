// cpu_block_cache.h — the CPU allocator nodetorch gives libtorch (cpu_block_cache.cc says why).
#pragma once
#include <cstddef>

namespace nt {

// Makes it libtorch's CPU allocator, once per process, unless NODETORCH_MALLOC=default; returns
// what libtorch uses (info().cpuAllocator).
const char* InstallCpuBlockCache();

// Bytes of freed blocks the calling thread keeps for its next allocations.
size_t CpuBlockCacheBytes();

}  // namespace nt
