// malloc_policy.h — glibc malloc settings for tensor workloads (malloc_policy.cc says why).
#pragma once

namespace nt {

// Applies the settings once per process, unless the user asked for glibc's own; returns what
// malloc runs with (info().malloc).
const char* ApplyMallocPolicy();

// NODETORCH_MALLOC=default: the user wants glibc's and libtorch's allocators as they come.
bool MallocDefaultsRequested();

}  // namespace nt
