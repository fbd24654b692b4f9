// external.h — native objects owned by JS handles (napi externals): a model, a TorchScript module,
// an optimizer, a GAN trainer, a dataset. Each type T has `static constexpr uint64_t kMagic` and a
// `magic` field, so a handle of another kind (or any other value) is refused with a TypeError.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "errors.h"

namespace nt {

template <typename T>
void DeleteOwned(napi_env, void* data, void*) {
  delete static_cast<T*>(data);
}

// The finalizer of an owned handle, run by the GC as it collects the handle (the addon is built
// with NAPI_EXPERIMENTAL): it only posts the deletion, which Node runs on the JS thread after the
// collection (node_api_post_finalizer), since these objects may join threads or release JS
// references, which a finalizer running inside the GC must not do.
template <typename T>
void PostDeleteOwned(node_api_basic_env env, void* data, void*) {
  if (node_api_post_finalizer(env, DeleteOwned<T>, data, nullptr) != napi_ok) {
    DeleteOwned<T>(nullptr, data, nullptr);  // the environment is going away: nothing left to defer to
  }
}

// A JS handle owning `value` (deleted after the handle is collected, or now if creation fails).
template <typename T>
Napi::Value OwnedExternal(Napi::Env env, std::unique_ptr<T> value) {
  napi_value ext;
  napi_status status = napi_create_external(env, value.get(), PostDeleteOwned<T>, nullptr, &ext);
  NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  value.release();
  return Napi::Value(env, ext);
}

// The T behind handle `v`, or a TypeError naming `op` ("expected <expected>").
template <typename T>
T* ExternalOf(Napi::Env env, napi_value v, const char* op, const char* expected) {
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == nullptr || static_cast<T*>(data)->magic != T::kMagic) {
    throw TypeErr(env, op, std::string("expected ") + expected);
  }
  return static_cast<T*>(data);
}

// Whether `v` is a handle of type T.
template <typename T>
bool IsExternal(Napi::Env env, napi_value v) {
  void* data = nullptr;
  return napi_get_value_external(env, v, &data) == napi_ok && data != nullptr && static_cast<T*>(data)->magic == T::kMagic;
}

}  // namespace nt
