// tensor_creation.cc — making tensors: from JS buffers, filled, ranges, random; moving between
// devices and dtypes.
#include <ATen/ATen.h>

#include "args.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

at::ScalarType TypedArrayDtype(napi_typedarray_type type, const char* op, Napi::Env env) {
  switch (type) {
    case napi_int8_array: return at::kChar;
    case napi_uint8_array: return at::kByte;
    case napi_uint8_clamped_array: return at::kByte;
    case napi_int16_array: return at::kShort;
    case napi_int32_array: return at::kInt;
    case napi_float32_array: return at::kFloat;
    case napi_float64_array: return at::kDouble;
    case napi_bigint64_array: return at::kLong;
    default: throw TypeErr(env, op, "unsupported TypedArray type (use Float32/64, Int8/16/32, Uint8 or BigInt64)");
  }
}

// Options for a creation op from the trailing (dtype, device, requiresGrad) arguments at `i`.
at::TensorOptions CreationOptions(const Napi::CallbackInfo& info, size_t i) {
  return at::TensorOptions().dtype(DtypeArg(info, i)).device(DeviceArg(info, i + 1));
}

Napi::Value Finish(const Napi::CallbackInfo& info, at::Tensor t, size_t requiresGradIndex) {
  if (BoolArg(info, requiresGradIndex)) t.set_requires_grad(true);
  return Wrap(info.Env(), std::move(t));
}

// fromTypedArray(array, shape, dtype, device, requiresGrad): copies the array's data.
Napi::Value FromTypedArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw TypeErr(env, "tensor", "data must be a TypedArray");
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buffer;
  size_t offset;
  NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, info[0], &type, &length, &data, &buffer, &offset), Napi::Value());
  std::vector<int64_t> shape = IntListArg(info, 1);
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) throw RangeErr(env, "tensor", "shape entries must be non-negative");
    numel *= d;
  }
  if (numel != static_cast<int64_t>(length)) {
    throw RangeErr(env, "tensor", "data has " + std::to_string(length) + " elements but shape " +
                                      c10::str(at::IntArrayRef(shape)) + " needs " + std::to_string(numel));
  }
  at::ScalarType source = TypedArrayDtype(type, "tensor", env);
  at::Tensor view = at::from_blob(length == 0 ? nullptr : data, shape, at::TensorOptions().dtype(source));
  at::Tensor t = view.to(DeviceArg(info, 3), DtypeArg(info, 2), /*non_blocking=*/false, /*copy=*/true);
  return Finish(info, std::move(t), 4);
}

const OpSpec kCreationOps[] = {
    {"fromTypedArray", FromTypedArray},
    // (shape, dtype, device, requiresGrad)
    {"zeros", [](const Napi::CallbackInfo& i) -> Napi::Value { return Finish(i, at::zeros(IntListArg(i, 0), CreationOptions(i, 1)), 3); }},
    {"ones", [](const Napi::CallbackInfo& i) -> Napi::Value { return Finish(i, at::ones(IntListArg(i, 0), CreationOptions(i, 1)), 3); }},
    {"empty", [](const Napi::CallbackInfo& i) -> Napi::Value { return Finish(i, at::empty(IntListArg(i, 0), CreationOptions(i, 1)), 3); }},
    {"rand", [](const Napi::CallbackInfo& i) -> Napi::Value { return Finish(i, at::rand(IntListArg(i, 0), CreationOptions(i, 1)), 3); }},
    {"randn", [](const Napi::CallbackInfo& i) -> Napi::Value { return Finish(i, at::randn(IntListArg(i, 0), CreationOptions(i, 1)), 3); }},
    // (shape, value, dtype, device, requiresGrad)
    {"full", [](const Napi::CallbackInfo& i) -> Napi::Value { return Finish(i, at::full(IntListArg(i, 0), ScalarArg(i, 1), CreationOptions(i, 2)), 4); }},
    // (low, high, shape, dtype, device, requiresGrad)
    {"randint",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       return Finish(i, at::randint(IntArg(i, 0), IntArg(i, 1), IntListArg(i, 2), CreationOptions(i, 3)), 5);
     }},
    // (start, end, step, dtype, device, requiresGrad)
    {"arange",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       return Finish(i, at::arange(ScalarArg(i, 0), ScalarArg(i, 1), ScalarArg(i, 2), CreationOptions(i, 3)), 5);
     }},
    // (start, end, steps, dtype, device, requiresGrad)
    {"linspace",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       return Finish(i, at::linspace(ScalarArg(i, 0), ScalarArg(i, 1), IntArg(i, 2), CreationOptions(i, 3)), 5);
     }},
    // (n, dtype, device, requiresGrad)
    {"randperm",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       return Finish(i, at::randperm(IntArg(i, 0), CreationOptions(i, 1)), 3);
     }},
    // (n, m, dtype, device, requiresGrad)
    {"eye", [](const Napi::CallbackInfo& i) -> Napi::Value { return Finish(i, at::eye(IntArg(i, 0), IntArg(i, 1), CreationOptions(i, 2)), 4); }},
    // to(tensor, dtype | null, device | null, copy)
    {"to",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       const at::Tensor& t = TensorArg(i, 0);
       at::ScalarType dtype = IsNullish(i[1]) ? t.scalar_type() : DtypeArg(i, 1);
       at::Device device = IsNullish(i[2]) ? t.device() : DeviceArg(i, 2);
       return Wrap(i.Env(), t.to(device, dtype, /*non_blocking=*/false, /*copy=*/BoolArg(i, 3)));
     }},
};

}  // namespace

void RegisterTensorCreation(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kCreationOps); }

}  // namespace nt
