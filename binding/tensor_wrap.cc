// tensor_wrap.cc — tensor handles: creation, unwrapping, disposal, GC backstop, properties, memory().
#include "tensor_wrap.h"

#include <cctype>
#include <cstring>
#include <utility>

#include "args.h"
#include "cpu_block_cache.h"
#include "errors.h"

namespace nt {
namespace {

// Storage bytes a new handle owns: a fresh result owns its storage alone; a view, or a tensor
// another handle already holds, shares it and is counted once, by its first owner.
int64_t OwnedBytes(const at::Tensor& t) {
  if (!t.has_storage()) return 0;
  const auto& storage = t.storage();
  if (storage.use_count() > 1) return 0;
  return static_cast<int64_t>(storage.nbytes());
}

// V8 hears of native bytes in steps of at least this much: one napi_adjust_external_memory
// per tiny tensor would cost more than the op. memory() stays exact.
constexpr int64_t kReportStep = 64 * 1024;

// Counts a change in the bytes handles own. Also runs in GC-time finalizers, so it only counts:
// V8 hears of it later, from a native call on the JS thread (ReportBytes).
void CountBytes(EnvState* state, int64_t delta) {
  state->numBytes += delta;
  state->unreportedBytes += delta;
}

// Tells V8 of the counted bytes once they reach a step either way. Never from a finalizer:
// napi_adjust_external_memory can start or finish a GC, and doing so inside the collection that
// runs the finalizer leaves V8's heap inconsistent (it aborted later with "Check failed:
// marking_done_" in CppHeap::TraceEpilogue; tests/helpers/gc_stress.js).
void ReportBytes(napi_env env, EnvState* state) {
  const int64_t delta = state->unreportedBytes;
  if (delta < kReportStep && delta > -kReportStep) return;
  state->unreportedBytes = 0;  // first: the GC this may start runs finalizers that count more
  int64_t adjusted;
  napi_adjust_external_memory(env, delta, &adjusted);
}

// Frees the handle's tensor. Safe in a GC-time finalizer: a tensor's storage holds no JS (tensors
// made from JS data copy it; tensor_data.cc's external buffers own a tensor, not the reverse).
void Release(TensorHandle* h) {
  if (!h->tensor.defined()) return;
  h->tensor.reset();
  h->state->numTensors -= 1;
  CountBytes(h->state, -h->bytes);
  h->bytes = 0;
}

// Spare handles kept per environment; beyond this, collected handles are deleted.
constexpr size_t kMaxSpareHandles = 16384;

// A basic finalizer: it touches no JS, so the GC runs it while collecting the handle (the addon is
// built with NAPI_EXPERIMENTAL). Deferring it to the event loop, as plain finalizers are, kept every
// handle (and its napi bookkeeping) alive until the loop turned: a loop of ops that never yields
// grew the heap without bound and paid for it in malloc work and page faults.
void Finalize(node_api_basic_env /*env*/, void* data, void* /*hint*/) {
  auto* h = static_cast<TensorHandle*>(data);
  Release(h);
  auto& spare = h->state->spareHandles;
  if (spare.size() < kMaxSpareHandles) {
    spare.push_back(h);
  } else {
    delete h;
  }
}

// Recycled handles kept per environment; beyond this, disposed handles are left to the GC.
constexpr size_t kMaxRecycled = 4096;

// Disposes the tensor of handle `h` (JS value `value`) and keeps the handle for the next result,
// for a caller that guarantees no JS object holds `value` any more (a Tensor's dispose() and
// tidy swap their handle for the disposed one first). Only a handle this call freed is kept, so
// the disposed handle, and a handle disposed twice, never are.
void Recycle(napi_env env, napi_value value, TensorHandle* h) {
  if (!h->tensor.defined()) return;
  Dispose(env, h);
  auto& recycled = h->state->recycled;
  if (recycled.size() >= kMaxRecycled) return;
  napi_ref ref;
  if (napi_create_reference(env, value, 1, &ref) == napi_ok) recycled.emplace_back(ref, h);
}

// A recycled handle's external, taken out of the pool; nullptr when the pool is empty.
napi_value TakeRecycled(napi_env env, EnvState* state, TensorHandle** handle) {
  while (!state->recycled.empty()) {
    auto [ref, h] = state->recycled.back();
    state->recycled.pop_back();
    napi_value ext = nullptr;
    napi_get_reference_value(env, ref, &ext);
    napi_delete_reference(env, ref);
    if (ext != nullptr) {
      *handle = h;
      return ext;
    }
  }
  return nullptr;
}

TensorHandle* NewHandle(EnvState* state) {
  if (state->spareHandles.empty()) return new TensorHandle();
  TensorHandle* h = state->spareHandles.back();
  state->spareHandles.pop_back();
  return h;
}

Napi::Value GuardedCall(const Napi::CallbackInfo& info) {
  const auto* op = static_cast<const BoundOp*>(info.Data());
  // What the GC's finalizers left to the JS thread: bytes to report to V8.
  ReportBytes(info.Env(), op->state);
  try {
    return op->spec->body(info);
  } catch (...) {
    throw CurrentExceptionAsJs(info.Env(), op->publicName.c_str());
  }
}

// Binding-name prefixes of ops that are methods of a JS object, and that object's name in errors.
const std::pair<const char*, const char*> kPublicPrefixes[] = {
    {"model", "model"}, {"jit", "jit"}, {"gan", "gan"}, {"optim", "optimizer"}, {"dataset", "dataset"}, {"rng", "rng"}, {"distributed", "distributed"}, {"amp", "amp"},
};

std::string PublicName(const std::string& name) {
  for (const auto& [prefix, object] : kPublicPrefixes) {
    const size_t n = std::strlen(prefix);
    if (name.size() > n && name.compare(0, n, prefix) == 0 && std::isupper(static_cast<unsigned char>(name[n]))) {
      return std::string(object) + "." + static_cast<char>(std::tolower(static_cast<unsigned char>(name[n]))) + name.substr(n + 1);
    }
  }
  return name;
}

}  // namespace

Napi::Value Wrap(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Null();
  auto* state = env.GetInstanceData<EnvState>();
  TensorHandle* h = nullptr;
  napi_value ext = TakeRecycled(env, state, &h);
  if (ext == nullptr) {
    h = NewHandle(state);
    h->state = state;
    napi_status status = napi_create_external(env, h, Finalize, nullptr, &ext);
    if (status != napi_ok) {
      delete h;
      NAPI_THROW_IF_FAILED(env, status, Napi::Value());
    }
  }
  h->bytes = OwnedBytes(tensor);
  h->tensor = std::move(tensor);
  state->numTensors += 1;
  CountBytes(state, h->bytes);
  ReportBytes(env, state);
  return Napi::Value(env, ext);
}

TensorHandle* HandleOf(napi_env env, napi_value value) {
  void* data = nullptr;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == nullptr) return nullptr;
  auto* h = static_cast<TensorHandle*>(data);
  return h->magic == TensorHandle::kMagic ? h : nullptr;
}

const at::Tensor& Unwrap(Napi::Env env, const char* op, napi_value value) {
  TensorHandle* h = HandleOf(env, value);
  if (h == nullptr) throw TypeErr(env, op, "expected a Tensor");
  if (!h->tensor.defined()) throw PlainErr(env, op, "tensor was disposed");
  return h->tensor;
}

void Dispose(Napi::Env env, TensorHandle* handle) {
  Release(handle);
  ReportBytes(env, handle->state);
}

void ExportOps(Napi::Env env, Napi::Object exports, const OpSpec* specs, size_t count) {
  auto* state = env.GetInstanceData<EnvState>();
  for (size_t i = 0; i < count; ++i) {
    state->ops.push_back(std::make_unique<BoundOp>(BoundOp{&specs[i], PublicName(specs[i].name), state}));
    exports.Set(specs[i].name, Napi::Function::New<GuardedCall>(env, specs[i].name, state->ops.back().get()));
  }
}

EnvState::~EnvState() {
  for (TensorHandle* h : spareHandles) delete h;
}

namespace {

// Frees the recycled handles' references as the environment ends (a cleanup hook: the env is
// still whole); the handles themselves go with their externals' finalizers.
void DropRecycled(void* data) {
  auto* state = static_cast<EnvState*>(data);
  for (const auto& [ref, h] : state->recycled) napi_delete_reference(state->env, ref);
  state->recycled.clear();
}

}  // namespace

EnvState* InitEnvState(Napi::Env env) {
  auto* state = new EnvState();
  state->env = env;
  env.SetInstanceData<EnvState>(state);  // deleted by node-addon-api when the env tears down
  napi_add_env_cleanup_hook(env, DropRecycled, state);
  return state;
}

namespace {

Napi::Value JsShape(Napi::Env env, at::IntArrayRef sizes) {
  Napi::Array out = Napi::Array::New(env, sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(sizes[i])));
  return out;
}

// Disposes the tensor handles among the call's arguments (the first, or all), recycling them
// (Recycle) or not (Dispose); a TypeError names `op` for anything else.
Napi::Value DisposeArgs(const Napi::CallbackInfo& info, const char* op, bool all, bool recycle) {
  const size_t count = all ? info.Length() : 1;
  for (size_t k = 0; k < count; ++k) {
    TensorHandle* h = HandleOf(info.Env(), info[k]);
    if (h == nullptr) throw TypeErr(info.Env(), op, all ? "expected Tensors" : "expected a Tensor");
    if (recycle) {
      Recycle(info.Env(), info[k], h);
    } else {
      Dispose(info.Env(), h);
    }
  }
  return info.Env().Undefined();
}

const OpSpec kTensorWrapOps[] = {
    {"dispose", [](const Napi::CallbackInfo& info) { return DisposeArgs(info, "dispose", false, false); }},
    // disposeAll(...handles): many in one call.
    {"disposeAll", [](const Napi::CallbackInfo& info) { return DisposeArgs(info, "disposeAll", true, false); }},
    // recycle(handle) / recycleAll(...handles): dispose, and reuse each handle for a later result.
    // Only for handles no JS object keeps (lib/tensor: a Tensor's dispose(), tidy).
    {"recycle", [](const Napi::CallbackInfo& info) { return DisposeArgs(info, "dispose", false, true); }},
    {"recycleAll", [](const Napi::CallbackInfo& info) { return DisposeArgs(info, "tidy", true, true); }},
    // The handle a disposed Tensor holds: no tensor (every op refuses it as disposed), never reused.
    {"disposedHandle",
     [](const Napi::CallbackInfo& info) -> Napi::Value {
       auto* state = info.Env().GetInstanceData<EnvState>();
       if (state->disposedHandle == nullptr) {
         state->disposedHandle = std::make_unique<TensorHandle>();
         state->disposedHandle->state = state;
       }
       return Napi::External<TensorHandle>::New(info.Env(), state->disposedHandle.get());
     }},
    {"isDisposed",
     [](const Napi::CallbackInfo& info) -> Napi::Value {
       TensorHandle* h = HandleOf(info.Env(), info[0]);
       if (h == nullptr) throw TypeErr(info.Env(), "isDisposed", "expected a Tensor");
       return Napi::Boolean::New(info.Env(), !h->tensor.defined());
     }},
    {"shape", [](const Napi::CallbackInfo& info) -> Napi::Value { return JsShape(info.Env(), TensorArg(info, 0).sizes()); }},
    {"strides", [](const Napi::CallbackInfo& info) -> Napi::Value { return JsShape(info.Env(), TensorArg(info, 0).strides()); }},
    {"dtype",
     [](const Napi::CallbackInfo& info) -> Napi::Value {
       return Napi::Number::New(info.Env(), static_cast<int>(TensorArg(info, 0).scalar_type()));
     }},
    {"device",
     [](const Napi::CallbackInfo& info) -> Napi::Value {
       return Napi::String::New(info.Env(), TensorArg(info, 0).device().str());
     }},
    {"requiresGrad",
     [](const Napi::CallbackInfo& info) -> Napi::Value {
       return Napi::Boolean::New(info.Env(), TensorArg(info, 0).requires_grad());
     }},
    {"setRequiresGrad",
     [](const Napi::CallbackInfo& info) -> Napi::Value {
       // requires_grad_ (not set_requires_grad) refuses to turn off a non-leaf's flag, as PyTorch does.
       TensorArg(info, 0).requires_grad_(BoolArg(info, 1));
       return info.Env().Undefined();
     }},
    {"isContiguous",
     [](const Napi::CallbackInfo& info) -> Napi::Value {
       return Napi::Boolean::New(info.Env(), TensorArg(info, 0).is_contiguous());
     }},
    {"isLeaf",
     [](const Napi::CallbackInfo& info) -> Napi::Value {
       return Napi::Boolean::New(info.Env(), TensorArg(info, 0).is_leaf());
     }},
    {"memory",
     [](const Napi::CallbackInfo& info) -> Napi::Value {
       auto* state = info.Env().GetInstanceData<EnvState>();
       Napi::Object out = Napi::Object::New(info.Env());
       out.Set("numTensors", Napi::Number::New(info.Env(), static_cast<double>(state->numTensors)));
       out.Set("numBytes", Napi::Number::New(info.Env(), static_cast<double>(state->numBytes)));
       out.Set("cpuCachedBytes", Napi::Number::New(info.Env(), static_cast<double>(CpuBlockCacheBytes())));
       return out;
     }},
    {"setErrorClasses",
     [](const Napi::CallbackInfo& info) -> Napi::Value {
       auto* state = info.Env().GetInstanceData<EnvState>();
       Napi::Object classes = info[0].As<Napi::Object>();
       Napi::Value oom = classes.Get("OutOfMemoryError");
       if (oom.IsFunction()) state->oomErrorClass = Napi::Persistent(oom.As<Napi::Function>());
       return info.Env().Undefined();
     }},
};

}  // namespace

void RegisterTensorWrap(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kTensorWrapOps); }

}  // namespace nt
