// cpu_block_cache.cc — the CPU allocator nodetorch gives libtorch: libtorch's own (64-byte aligned
// blocks from glibc), with each thread keeping a few freed small blocks to hand out again. glibc
// serves aligned blocks through posix_memalign, which its per-thread cache does not cover: every
// small tensor's data costs a split chunk on the way in and a merge on the way out, about a
// quarter of a small elementwise op (a C++ loop of relu on [8,8]: 640 ns, 480 ns with this cache;
// BENCHMARKS.md). Blocks up to 64 KiB are rounded up to a power of two and kept per thread,
// at most 32 per size and 256 KiB per size, so a thread holds at most ~1.3 MiB; larger
// blocks, and blocks freed beyond that, go straight back to glibc; a thread's blocks go back when it
// ends. memory().cpuCachedBytes shows the calling thread's. NODETORCH_MALLOC=default keeps
// libtorch's allocator (and glibc's settings, malloc_policy.cc).
#include "cpu_block_cache.h"
#include "malloc_policy.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>
#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace nt {
namespace {

constexpr size_t kAlignment = 64;      // libtorch's CPU alignment (c10::gAlignment)
constexpr int kSizes = 11;             // 64 B, 128 B, ..., 64 KiB
constexpr size_t kMaxBlocks = 32;      // per size and thread
constexpr size_t kMaxSizeBytes = 256 << 10;

constexpr size_t BlockBytes(int size) { return kAlignment << size; }
constexpr size_t Capacity(int size) { return BlockBytes(size) * kMaxBlocks <= kMaxSizeBytes ? kMaxBlocks : kMaxSizeBytes / BlockBytes(size); }

// The smallest size that holds n bytes (n <= the largest size).
int SizeFor(size_t n) {
  int size = 0;
  while (BlockBytes(size) < n) ++size;
  return size;
}

// A thread's freed blocks. Trivially destructible, so it stays readable while other thread-locals
// (libtorch's, holding tensors) are destroyed at thread exit; `state` says whether it still caches.
struct ThreadBlocks {
  void* blocks[kSizes][kMaxBlocks];
  uint8_t count[kSizes];
  enum : uint8_t { kUnused, kLive, kGone } state;
};
thread_local ThreadBlocks tBlocks;

// Returns a thread's blocks to glibc when the thread ends; from then on its frees go to glibc.
struct ThreadBlocksOwner {
  ThreadBlocksOwner() { tBlocks.state = ThreadBlocks::kLive; }
  ~ThreadBlocksOwner() {
    tBlocks.state = ThreadBlocks::kGone;
    for (int s = 0; s < kSizes; ++s) {
      while (tBlocks.count[s] > 0) std::free(tBlocks.blocks[s][--tBlocks.count[s]]);
    }
  }
};

// This thread's blocks, or null once the thread is ending.
ThreadBlocks* Blocks() {
  if (tBlocks.state == ThreadBlocks::kUnused) {
    thread_local ThreadBlocksOwner owner;  // constructed here, at the thread's first use
  }
  return tBlocks.state == ThreadBlocks::kLive ? &tBlocks : nullptr;
}

// Frees a block of this allocator (or of libtorch's own, after libtorch's raw_deallocate: any
// 64-byte aligned block from glibc). Its size class comes from glibc's own record of the block.
void Release(void* p) {
  if (p == nullptr) return;
  ThreadBlocks* blocks = Blocks();
  const size_t usable = blocks != nullptr && (reinterpret_cast<uintptr_t>(p) % kAlignment) == 0 ? malloc_usable_size(p) : 0;
  if (usable >= BlockBytes(0) && usable < BlockBytes(kSizes)) {
    int size = SizeFor(usable + 1) - 1;  // the largest size the block holds
    if (blocks->count[size] < Capacity(size)) {
      blocks->blocks[size][blocks->count[size]++] = p;
      return;
    }
  }
  std::free(p);
}

void* Acquire(size_t n) {
  if (n == 0) return nullptr;
  size_t bytes = n;
  if (n <= BlockBytes(kSizes - 1)) {
    const int size = SizeFor(n);
    ThreadBlocks* blocks = Blocks();
    if (blocks != nullptr && blocks->count[size] > 0) return blocks->blocks[size][--blocks->count[size]];
    bytes = BlockBytes(size);  // the whole size, so that the block can serve any request of it later
  }
  void* p = nullptr;
  TORCH_CHECK_WITH(OutOfMemoryError, posix_memalign(&p, kAlignment, bytes) == 0, "CPU allocator: not enough memory: you tried to allocate ", n, " bytes");
  return p;
}

// libtorch 1.13 declares allocate() const and has no copy_data(); 2.x (since 2.3) declares
// allocate() non-const and copy_data() pure. Both forms are defined: each version overrides its own.
class CpuBlockCache final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t n) const {  // NOLINT: overrides in 1.13
    void* p = Acquire(n);
    return {p, p, &Release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DataPtr allocate(size_t n) { return static_cast<const CpuBlockCache*>(this)->allocate(n); }  // NOLINT: overrides in 2.x
  void copy_data(void* dest, const void* src, size_t count) const { std::memcpy(dest, src, count); }  // NOLINT: overrides in 2.x
  c10::DeleterFnPtr raw_deleter() const override { return &Release; }
};

}  // namespace

size_t CpuBlockCacheBytes() {
  size_t bytes = 0;
  if (tBlocks.state == ThreadBlocks::kLive) {
    for (int s = 0; s < kSizes; ++s) bytes += tBlocks.count[s] * BlockBytes(s);
  }
  return bytes;
}

const char* InstallCpuBlockCache() {
  static const char* const installed = []() -> const char* {
    if (MallocDefaultsRequested()) return "libtorch's (NODETORCH_MALLOC=default)";
    auto* cache = new CpuBlockCache();  // never deleted: tensors may outlive static destruction
    c10::SetCPUAllocator(cache, /*priority=*/1);
    return c10::GetCPUAllocator() == cache ? "nodetorch's: libtorch's, with freed blocks up to 64 KiB kept per thread"
                                           : "libtorch's (another allocator has a higher priority)";
  }();
  return installed;
}

}  // namespace nt
