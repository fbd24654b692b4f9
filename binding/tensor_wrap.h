// tensor_wrap.h — the native side of a JS Tensor: a handle (napi external) owning one at::Tensor.
//
// A JS Tensor holds one external; every op takes handles and returns a handle. Externals are
// cheaper to create and to read than ObjectWrap instances or napi_wrap'ed objects (no JS
// constructor round trip; bench/ops_handles.js). The handle frees its tensor on dispose() or, as a
// backstop, when the GC finalizes the external; its bytes are reported to V8 either way. A handle
// disposed through its JS Tensor (recycle) is kept in a per-environment pool and becomes the next
// result's handle, external and all (tensor_wrap.cc, Recycle).
#pragma once
#include <ATen/ATen.h>
#include <napi.h>

#include <string>

#include "env_state.h"

namespace nt {

struct TensorHandle {
  static constexpr uint64_t kMagic = 0x6e74546e73724831ull;  // type tag checked on every unwrap
  uint64_t magic = kMagic;
  at::Tensor tensor;      // undefined once disposed
  int64_t bytes = 0;      // native bytes attributed to this handle (reported to V8)
  EnvState* state = nullptr;
};

// Wraps a tensor in a new handle. An undefined tensor becomes JS null.
Napi::Value Wrap(Napi::Env env, at::Tensor tensor);

// The tensor behind argument `value`; throws TypeError for a non-tensor and Error for a disposed one.
const at::Tensor& Unwrap(Napi::Env env, const char* op, napi_value value);

// Frees the handle's tensor now (idempotent).
void Dispose(Napi::Env env, TensorHandle* handle);

// The handle behind `value`, or nullptr when it is not a tensor handle.
TensorHandle* HandleOf(napi_env env, napi_value value);

// One exported native function: its binding name and its body.
struct OpSpec {
  const char* name;
  Napi::Value (*body)(const Napi::CallbackInfo&);
};

// An exported op as one environment holds it: its spec and the name its errors give, which is what
// users call: "modelPredictSync" → "model.predictSync", "optimStep" → "optimizer.step"
// (binding names of tensor functions are already public: "matmul").
struct BoundOp {
  const OpSpec* spec;
  std::string publicName;
  EnvState* state;
};

// Exports every spec in `specs` on `exports`; each call runs under a guard that turns any
// C++/libtorch exception into a JS error named after the op (its public name).
void ExportOps(Napi::Env env, Napi::Object exports, const OpSpec* specs, size_t count);

template <size_t N>
void ExportOps(Napi::Env env, Napi::Object exports, const OpSpec (&specs)[N]) {
  ExportOps(env, exports, specs, N);
}

// The name of the op being called (for error messages from argument helpers).
inline const char* OpName(const Napi::CallbackInfo& info) {
  return static_cast<const BoundOp*>(info.Data())->publicName.c_str();
}

void RegisterTensorWrap(Napi::Env env, Napi::Object exports);

}  // namespace nt
