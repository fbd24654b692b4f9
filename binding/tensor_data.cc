// tensor_data.cc — reading tensor data back into JS: TypedArrays (sync and off the event loop)
// and single values.
#include <ATen/ATen.h>

#include <cstring>

#include "args.h"
#include "async.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

// The dtype a tensor is read back as: half/bfloat16 widen to float32 (JS has no 16-bit floats),
// bool reads as uint8; everything else keeps its dtype.
at::ScalarType ReadDtype(at::ScalarType t) {
  switch (t) {
    case at::kHalf:
    case at::kBFloat16: return at::kFloat;
    case at::kBool: return at::kByte;
    default: return t;
  }
}

napi_typedarray_type ArrayType(at::ScalarType t, Napi::Env env, const char* op) {
  switch (t) {
    case at::kFloat: return napi_float32_array;
    case at::kDouble: return napi_float64_array;
    case at::kChar: return napi_int8_array;
    case at::kByte: return napi_uint8_array;
    case at::kShort: return napi_int16_array;
    case at::kInt: return napi_int32_array;
    case at::kLong: return napi_bigint64_array;
    default: throw TypeErr(env, op, std::string("cannot read dtype ") + c10::toString(t) + " into a TypedArray");
  }
}

// A CPU, contiguous tensor of the read dtype that no one else writes to.
at::Tensor ReadableCopy(const at::Tensor& t) {
  return t.detach().to(at::kCPU, ReadDtype(t.scalar_type()), /*non_blocking=*/false, /*copy=*/true).contiguous();
}

// Hands a tensor's memory to JS as a TypedArray without copying; the ArrayBuffer keeps it alive.
Napi::Value AsTypedArray(Napi::Env env, at::Tensor t, const char* op) {
  napi_typedarray_type type = ArrayType(t.scalar_type(), env, op);
  size_t bytes = t.nbytes();
  size_t length = static_cast<size_t>(t.numel());
  napi_value buffer, array;
  if (bytes == 0) {
    void* unused;
    NAPI_THROW_IF_FAILED(env, napi_create_arraybuffer(env, 0, &unused, &buffer), Napi::Value());
  } else {
    auto* owner = new at::Tensor(std::move(t));
    napi_status status = napi_create_external_arraybuffer(
        env, owner->data_ptr(), bytes,
        [](node_api_basic_env, void*, void* hint) { delete static_cast<at::Tensor*>(hint); }, owner, &buffer);
    if (status != napi_ok) {
      // Runtimes that forbid external buffers: copy instead.
      void* dst;
      status = napi_create_arraybuffer(env, bytes, &dst, &buffer);
      if (status == napi_ok) std::memcpy(dst, owner->data_ptr(), bytes);
      delete owner;
      NAPI_THROW_IF_FAILED(env, status, Napi::Value());
    }
  }
  NAPI_THROW_IF_FAILED(env, napi_create_typedarray(env, type, length, buffer, 0, &array), Napi::Value());
  return Napi::Value(env, array);
}

class ReadWorker : public PromiseWorker {
 public:
  ReadWorker(Napi::Env env, at::Tensor source) : PromiseWorker(env, "data"), source_(std::move(source)) {}

 protected:
  void Run() override { copy_ = ReadableCopy(source_); }
  Napi::Value Result(Napi::Env env) override { return AsTypedArray(env, std::move(copy_), "data"); }

 private:
  at::Tensor source_;  // holds the storage alive while the copy runs, even if JS disposes it
  at::Tensor copy_;
};

const OpSpec kDataOps[] = {
    {"dataSync", [](const Napi::CallbackInfo& i) -> Napi::Value { return AsTypedArray(i.Env(), ReadableCopy(TensorArg(i, 0)), "dataSync"); }},
    {"data",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       return (new ReadWorker(i.Env(), TensorArg(i, 0)))->Queue();
     }},
    {"item",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       const at::Tensor& t = TensorArg(i, 0);
       if (t.numel() != 1) {
         throw RangeErr(i.Env(), "item", "a Tensor with " + std::to_string(t.numel()) +
                                             " elements cannot be converted to a number");
       }
       at::Scalar s = t.item();
       if (s.isBoolean()) return Napi::Boolean::New(i.Env(), s.toBool());
       if (s.isIntegral(false)) return Napi::Number::New(i.Env(), static_cast<double>(s.toLong()));
       return Napi::Number::New(i.Env(), s.toDouble());
     }},
};

}  // namespace

void RegisterTensorData(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kDataOps); }

}  // namespace nt
