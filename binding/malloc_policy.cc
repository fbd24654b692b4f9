// malloc_policy.cc — glibc malloc settings for tensor workloads, applied once per process when the
// addon loads. glibc's defaults return large freed blocks to the kernel (munmap, heap trimming)
// and fault them back in on the next allocation; a training loop frees and reallocates the same
// multi-megabyte activations every step, which in a Node process costs 10× the page faults of the
// same loop in Python (see BENCHMARKS.md). Keeping blocks up to 32 MiB on the heap and trimming
// only above 256 MiB of free memory removes that. NODETORCH_MALLOC=default, or any MALLOC_*_
// environment variable (the user's own glibc tuning), leaves malloc as it is; so does another
// malloc preloaded in glibc's place (jemalloc, tcmalloc, mimalloc), which has its own settings.
#include "malloc_policy.h"

#include <dlfcn.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

extern char** environ;

namespace nt {

namespace {

// The malloc that replaced glibc's in this process (LD_PRELOAD), known by a symbol of its own API.
const char* PreloadedMalloc() {
  static const std::pair<const char*, const char*> kAllocators[] = {
      {"mallctl", "jemalloc"}, {"tc_malloc", "tcmalloc"}, {"mi_malloc", "mimalloc"}};
  for (const auto& [symbol, name] : kAllocators) {
    if (dlsym(RTLD_DEFAULT, symbol) != nullptr) return name;
  }
  return nullptr;
}

}  // namespace

bool MallocDefaultsRequested() {
  const char* choice = std::getenv("NODETORCH_MALLOC");
  return choice != nullptr && std::strcmp(choice, "default") == 0;
}

const char* ApplyMallocPolicy() {
  static const char* applied = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    if (MallocDefaultsRequested()) {
      applied = "glibc defaults (NODETORCH_MALLOC=default)";
      return;
    }
    if (const char* name = PreloadedMalloc()) {
      static const std::string preloaded = std::string(name) + ", preloaded (its own settings)";
      applied = preloaded.c_str();
      return;
    }
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, "MALLOC_", 7) == 0) {
        applied = "glibc, tuned by MALLOC_* environment variables";
        return;
      }
    }
#ifdef M_MMAP_THRESHOLD
    bool ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1 && mallopt(M_TOP_PAD, 16 << 20) == 1;
    applied = ok ? "glibc, mmap threshold 32 MiB, trim threshold 256 MiB (NODETORCH_MALLOC=default to keep glibc's)" : "glibc defaults (mallopt refused)";
#else
    applied = "system defaults";
#endif
  });
  return applied;
}

}  // namespace nt
