// env_state.h — per-environment (main thread or worker_thread) state, kept in N-API instance data.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace nt {

struct TensorHandle;
struct BoundOp;

struct EnvState {
  napi_env env = nullptr;
  // Live tensor handles and the native bytes attributed to them (memory()).
  int64_t numTensors = 0;
  int64_t numBytes = 0;
  // Part of numBytes not yet reported to V8 (tensor_wrap.cc reports it in steps).
  int64_t unreportedBytes = 0;
  // The JS OutOfMemoryError class, registered by lib/ at load time (optional).
  Napi::FunctionReference oomErrorClass;
  // Handles whose externals the GC has collected, kept for reuse by the next results: this
  // saves a malloc/free pair per op, which the GC's batched frees make slow (tensor_wrap.cc).
  std::vector<TensorHandle*> spareHandles;
  // Handles disposed through their JS Tensor (recycle), each kept alive by a strong reference and
  // handed out again, external and all, as the next result: no external, weak handle and
  // finalizer registration per op on the dispose and tidy paths (tensor_wrap.cc).
  std::vector<std::pair<napi_ref, TensorHandle*>> recycled;
  // What a disposed JS Tensor holds instead of its handle: a handle with no tensor, never reused.
  std::unique_ptr<TensorHandle> disposedHandle;
  // The exported ops (their functions' data).
  std::vector<std::unique_ptr<BoundOp>> ops;
  ~EnvState();
};

// Creates this environment's state and attaches it as instance data (freed with the env).
EnvState* InitEnvState(Napi::Env env);

}  // namespace nt
