// args.h — argument readers for native ops: JS values → libtorch types, with op-named errors.
#pragma once
#include <ATen/ATen.h>
#include <napi.h>

#include <c10/util/Optional.h>
#include <string>
#include <vector>

#include "errors.h"
#include "tensor_wrap.h"

namespace nt {

inline const at::Tensor& TensorArg(const Napi::CallbackInfo& info, size_t i) {
  return Unwrap(info.Env(), OpName(info), info[i]);
}

// One napi_typeof, not two (IsUndefined() then IsNull()): null is the last type it tests.
inline bool IsNullish(const Napi::Value& v) {
  napi_valuetype type = v.Type();
  return type == napi_undefined || type == napi_null;
}

inline c10::optional<at::Tensor> OptTensorArg(const Napi::CallbackInfo& info, size_t i) {
  if (IsNullish(info[i])) return c10::nullopt;
  return TensorArg(info, i);
}

inline double NumberArg(const Napi::CallbackInfo& info, size_t i) {
  napi_value v = info[i];
  double out;
  if (napi_get_value_double(info.Env(), v, &out) != napi_ok) {
    throw TypeErr(info.Env(), OpName(info), "argument " + std::to_string(i) + " must be a number");
  }
  return out;
}

inline int64_t IntArg(const Napi::CallbackInfo& info, size_t i) {
  napi_value v = info[i];
  int64_t out;
  if (napi_get_value_int64(info.Env(), v, &out) != napi_ok) {
    throw TypeErr(info.Env(), OpName(info), "argument " + std::to_string(i) + " must be an integer");
  }
  return out;
}

inline c10::optional<int64_t> OptIntArg(const Napi::CallbackInfo& info, size_t i) {
  if (IsNullish(info[i])) return c10::nullopt;
  return IntArg(info, i);
}

inline c10::optional<double> OptNumberArg(const Napi::CallbackInfo& info, size_t i) {
  if (IsNullish(info[i])) return c10::nullopt;
  return NumberArg(info, i);
}

inline bool BoolArg(const Napi::CallbackInfo& info, size_t i) {
  napi_value v = info[i];
  bool out = false;
  napi_get_value_bool(info.Env(), v, &out);  // undefined reads as false
  return out;
}

inline std::string StringArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsString()) {
    throw TypeErr(info.Env(), OpName(info), "argument " + std::to_string(i) + " must be a string");
  }
  return info[i].As<Napi::String>().Utf8Value();
}

// Shapes and dims (view's shape, permute's order, a reduction's dims): one N-API call for the
// length and two per element. Each napi_get_element costs ~600 instructions (N-API sets up a
// TryCatch for it), about a tenth of a small op, so sizes that can be one number use SizesArg.
inline std::vector<int64_t> IntListArg(const Napi::CallbackInfo& info, size_t i) {
  napi_env env = info.Env();
  napi_value arr = info[i];
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) {
    throw TypeErr(info.Env(), OpName(info), "argument " + std::to_string(i) + " must be an array of integers");
  }
  std::vector<int64_t> out(n);
  for (uint32_t k = 0; k < n; ++k) {
    napi_value el;
    if (napi_get_element(env, arr, k, &el) != napi_ok || napi_get_value_int64(env, el, &out[k]) != napi_ok) {
      throw TypeErr(info.Env(), OpName(info), "argument " + std::to_string(i) + " must be an array of integers");
    }
  }
  return out;
}

// Sizes per spatial dim (conv's stride, padding and dilation; a pool's kernel): one number, which
// libtorch repeats for every dim, or a list per dim.
inline std::vector<int64_t> SizesArg(const Napi::CallbackInfo& info, size_t i) {
  int64_t size;
  if (napi_get_value_int64(info.Env(), info[i], &size) == napi_ok) return {size};
  return IntListArg(info, i);
}

inline c10::optional<std::vector<int64_t>> OptIntListArg(const Napi::CallbackInfo& info, size_t i) {
  if (IsNullish(info[i])) return c10::nullopt;
  return IntListArg(info, i);
}

inline std::vector<at::Tensor> TensorListArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) {
    throw TypeErr(info.Env(), OpName(info), "argument " + std::to_string(i) + " must be an array of tensors");
  }
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) out.push_back(Unwrap(info.Env(), OpName(info), arr.Get(k)));
  return out;
}

// A JS number as a libtorch Scalar: integral values become integer scalars (so int tensor + 2
// stays int, as in Python), others double; booleans become bool scalars.
inline at::Scalar ScalarArg(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = info[i];
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  double d = NumberArg(info, i);
  if (d >= -9.2e18 && d <= 9.2e18 && d == static_cast<double>(static_cast<int64_t>(d))) {
    return at::Scalar(static_cast<int64_t>(d));
  }
  return at::Scalar(d);
}

inline bool IsTensorArg(const Napi::CallbackInfo& info, size_t i) {
  return HandleOf(info.Env(), info[i]) != nullptr;
}

inline at::ScalarType DtypeArg(const Napi::CallbackInfo& info, size_t i) {
  int64_t code = IntArg(info, i);
  if (code < 0 || code >= static_cast<int64_t>(at::ScalarType::NumOptions)) {
    throw RangeErr(info.Env(), OpName(info), "unknown dtype code " + std::to_string(code));
  }
  return static_cast<at::ScalarType>(code);
}

inline c10::optional<at::ScalarType> OptDtypeArg(const Napi::CallbackInfo& info, size_t i) {
  if (IsNullish(info[i])) return c10::nullopt;
  return DtypeArg(info, i);
}

inline at::Device DeviceArg(const Napi::CallbackInfo& info, size_t i) {
  if (IsNullish(info[i])) return at::Device(at::kCPU);
  return at::Device(StringArg(info, i));
}

// Reduction names as in PyTorch losses.
inline int64_t ReductionArg(const Napi::CallbackInfo& info, size_t i) {
  if (IsNullish(info[i])) return at::Reduction::Mean;
  std::string r = StringArg(info, i);
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  throw RangeErr(info.Env(), OpName(info), "reduction must be 'mean', 'sum' or 'none', got '" + r + "'");
}

// The tensor behind argument i, or nullptr when that argument is not a tensor handle (e.g. a number).
inline const at::Tensor* MaybeTensorArg(const Napi::CallbackInfo& info, size_t i) {
  TensorHandle* h = HandleOf(info.Env(), info[i]);
  if (h == nullptr) return nullptr;
  if (!h->tensor.defined()) throw PlainErr(info.Env(), OpName(info), "tensor was disposed");
  return &h->tensor;
}

// Dims argument of a reduction: null (all dims), a number, or an array of numbers.
inline c10::optional<std::vector<int64_t>> DimsArg(const Napi::CallbackInfo& info, size_t i) {
  if (IsNullish(info[i])) return c10::nullopt;
  if (info[i].IsNumber()) return std::vector<int64_t>{IntArg(info, i)};
  return IntListArg(info, i);
}

}  // namespace nt
