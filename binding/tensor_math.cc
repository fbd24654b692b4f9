// tensor_math.cc — elementwise arithmetic, comparisons, reductions, matrix products and
// activations on tensors (each one native call per op).
#include <ATen/ATen.h>

#include "args.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

using CallbackInfo = Napi::CallbackInfo;

// Binary op whose second operand is a tensor or a JS number/boolean.
template <typename TensorFn, typename ScalarFn>
Napi::Value Binary(const CallbackInfo& i, TensorFn tensorFn, ScalarFn scalarFn) {
  const at::Tensor& a = TensorArg(i, 0);
  if (const at::Tensor* b = MaybeTensorArg(i, 1)) return Wrap(i.Env(), tensorFn(a, *b));
  return Wrap(i.Env(), scalarFn(a, ScalarArg(i, 1)));
}

// In-place binary op: mutates argument 0, returns nothing (the JS side returns the same Tensor).
template <typename TensorFn, typename ScalarFn>
Napi::Value BinaryInPlace(const CallbackInfo& i, TensorFn tensorFn, ScalarFn scalarFn) {
  at::Tensor a = TensorArg(i, 0);
  if (const at::Tensor* b = MaybeTensorArg(i, 1)) {
    tensorFn(a, *b);
  } else {
    scalarFn(a, ScalarArg(i, 1));
  }
  return i.Env().Undefined();
}

template <typename Fn>
Napi::Value Unary(const CallbackInfo& i, Fn fn) {
  return Wrap(i.Env(), fn(TensorArg(i, 0)));
}

// (values, indices) results become a JS pair [values, indices].
Napi::Value Pair(Napi::Env env, std::tuple<at::Tensor, at::Tensor> r) {
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Wrap(env, std::move(std::get<0>(r))));
  out.Set(1u, Wrap(env, std::move(std::get<1>(r))));
  return out;
}

// max/min: (t, dim | null, keepdim) → tensor, or [values, indices] along a dim.
template <bool IsMax>
Napi::Value MaxMin(const CallbackInfo& i) {
  const at::Tensor& t = TensorArg(i, 0);
  if (IsNullish(i[1])) return Wrap(i.Env(), IsMax ? at::max(t) : at::min(t));
  int64_t dim = IntArg(i, 1);
  bool keepdim = BoolArg(i, 2);
  return Pair(i.Env(), IsMax ? at::max(t, dim, keepdim) : at::min(t, dim, keepdim));
}

#define NT_UNARY(js, fn) \
  { js, [](const CallbackInfo& i) -> Napi::Value { return Unary(i, [](const at::Tensor& t) { return fn(t); }); } }
#define NT_BINARY(js, fn)                                                                         \
  {                                                                                               \
    js, [](const CallbackInfo& i) -> Napi::Value {                                                               \
      return Binary(                                                                              \
          i, [](const at::Tensor& a, const at::Tensor& b) { return fn(a, b); },                   \
          [](const at::Tensor& a, const at::Scalar& b) { return fn(a, b); });                     \
    }                                                                                             \
  }
#define NT_BINARY_INPLACE(js, method)                                                             \
  {                                                                                               \
    js, [](const CallbackInfo& i) -> Napi::Value {                                                               \
      return BinaryInPlace(                                                                       \
          i, [](at::Tensor& a, const at::Tensor& b) { a.method(b); },                             \
          [](at::Tensor& a, const at::Scalar& b) { a.method(b); });                               \
    }                                                                                             \
  }

const OpSpec kMathOps[] = {
    NT_BINARY("add", at::add),
    NT_BINARY("sub", at::sub),
    NT_BINARY("mul", at::mul),
    NT_BINARY("div", at::div),
    NT_BINARY("pow", at::pow),
    NT_BINARY("eq", at::eq),
    NT_BINARY("ne", at::ne),
    NT_BINARY("lt", at::lt),
    NT_BINARY("le", at::le),
    NT_BINARY("gt", at::gt),
    NT_BINARY("ge", at::ge),
    NT_BINARY("remainder", at::remainder),
    NT_BINARY_INPLACE("add_", add_),
    NT_BINARY_INPLACE("sub_", sub_),
    NT_BINARY_INPLACE("mul_", mul_),
    NT_BINARY_INPLACE("div_", div_),
    // rpow(t, scalar) = scalar ** t
    {"rpow", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::pow(ScalarArg(i, 1), TensorArg(i, 0))); }},
    {"maximum", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::maximum(TensorArg(i, 0), TensorArg(i, 1))); }},
    {"minimum", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::minimum(TensorArg(i, 0), TensorArg(i, 1))); }},
    NT_UNARY("neg", at::neg),
    NT_UNARY("abs", at::abs),
    NT_UNARY("exp", at::exp),
    NT_UNARY("log", at::log),
    NT_UNARY("sqrt", at::sqrt),
    NT_UNARY("rsqrt", at::rsqrt),
    NT_UNARY("floor", at::floor),
    NT_UNARY("ceil", at::ceil),
    NT_UNARY("round", at::round),
    NT_UNARY("sign", at::sign),
    NT_UNARY("sin", at::sin),
    NT_UNARY("cos", at::cos),
    NT_UNARY("reciprocal", at::reciprocal),
    NT_UNARY("square", at::square),
    NT_UNARY("logicalNot", at::logical_not),
    NT_UNARY("relu", at::relu),
    NT_UNARY("sigmoid", at::sigmoid),
    NT_UNARY("tanh", at::tanh),
    NT_UNARY("clone", at::clone),
    NT_UNARY("detach", at::detach),
    NT_UNARY("contiguous", [](const at::Tensor& t) { return t.contiguous(); }),
    NT_UNARY("isnan", at::isnan),
    NT_UNARY("isfinite", at::isfinite),
    {"logicalAnd", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::logical_and(TensorArg(i, 0), TensorArg(i, 1))); }},
    {"logicalOr", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::logical_or(TensorArg(i, 0), TensorArg(i, 1))); }},
    {"zero_",
     [](const CallbackInfo& i) -> Napi::Value {
       at::Tensor t = TensorArg(i, 0);
       t.zero_();
       return i.Env().Undefined();
     }},
    {"fill_",
     [](const CallbackInfo& i) -> Napi::Value {
       at::Tensor t = TensorArg(i, 0);
       t.fill_(ScalarArg(i, 1));
       return i.Env().Undefined();
     }},
    {"copy_",
     [](const CallbackInfo& i) -> Napi::Value {
       at::Tensor t = TensorArg(i, 0);
       t.copy_(TensorArg(i, 1));
       return i.Env().Undefined();
     }},
    // clamp(t, min | null, max | null)
    {"clamp",
     [](const CallbackInfo& i) -> Napi::Value {
       c10::optional<at::Scalar> lo, hi;
       if (!IsNullish(i[1])) lo = ScalarArg(i, 1);
       if (!IsNullish(i[2])) hi = ScalarArg(i, 2);
       return Wrap(i.Env(), at::clamp(TensorArg(i, 0), lo, hi));
     }},
    // where(cond, a, b) with a, b tensors or numbers
    {"where",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& cond = TensorArg(i, 0);
       const at::Tensor* a = MaybeTensorArg(i, 1);
       const at::Tensor* b = MaybeTensorArg(i, 2);
       if (a && b) return Wrap(i.Env(), at::where(cond, *a, *b));
       if (a) return Wrap(i.Env(), at::where(cond, *a, ScalarArg(i, 2)));
       if (b) return Wrap(i.Env(), at::where(cond, ScalarArg(i, 1), *b));
       return Wrap(i.Env(), at::where(cond, ScalarArg(i, 1), ScalarArg(i, 2)));
     }},
    // Reductions: (t, dims | null, keepdim)
    {"sum",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& t = TensorArg(i, 0);
       auto dims = DimsArg(i, 1);
       return Wrap(i.Env(), dims ? at::sum(t, *dims, BoolArg(i, 2)) : at::sum(t));
     }},
    {"mean",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& t = TensorArg(i, 0);
       auto dims = DimsArg(i, 1);
       return Wrap(i.Env(), dims ? at::mean(t, *dims, BoolArg(i, 2)) : at::mean(t));
     }},
    {"prod",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& t = TensorArg(i, 0);
       return Wrap(i.Env(), IsNullish(i[1]) ? at::prod(t) : at::prod(t, IntArg(i, 1), BoolArg(i, 2)));
     }},
    {"all",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& t = TensorArg(i, 0);
       return Wrap(i.Env(), IsNullish(i[1]) ? at::all(t) : at::all(t, IntArg(i, 1), BoolArg(i, 2)));
     }},
    {"any",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& t = TensorArg(i, 0);
       return Wrap(i.Env(), IsNullish(i[1]) ? at::any(t) : at::any(t, IntArg(i, 1), BoolArg(i, 2)));
     }},
    // std/var: (t, dims | null, correction, keepdim)
    {"std",
     [](const CallbackInfo& i) -> Napi::Value {
       auto dims = DimsArg(i, 1);
       at::OptionalIntArrayRef ref = dims ? at::OptionalIntArrayRef(*dims) : c10::nullopt;
       return Wrap(i.Env(), at::std(TensorArg(i, 0), ref, c10::optional<int64_t>(IntArg(i, 2)), BoolArg(i, 3)));
     }},
    {"var",
     [](const CallbackInfo& i) -> Napi::Value {
       auto dims = DimsArg(i, 1);
       at::OptionalIntArrayRef ref = dims ? at::OptionalIntArrayRef(*dims) : c10::nullopt;
       return Wrap(i.Env(), at::var(TensorArg(i, 0), ref, c10::optional<int64_t>(IntArg(i, 2)), BoolArg(i, 3)));
     }},
    {"max", MaxMin<true>},
    {"min", MaxMin<false>},
    {"argmax",
     [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::argmax(TensorArg(i, 0), OptIntArg(i, 1), BoolArg(i, 2))); }},
    {"argmin",
     [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::argmin(TensorArg(i, 0), OptIntArg(i, 1), BoolArg(i, 2))); }},
    // sort(t, dim, descending) → [values, indices]; topk(t, k, dim, largest, sorted) → [values, indices]
    {"sort",
     [](const CallbackInfo& i) -> Napi::Value { return Pair(i.Env(), at::sort(TensorArg(i, 0), IntArg(i, 1), BoolArg(i, 2))); }},
    {"topk",
     [](const CallbackInfo& i) -> Napi::Value {
       return Pair(i.Env(), at::topk(TensorArg(i, 0), IntArg(i, 1), IntArg(i, 2), BoolArg(i, 3), BoolArg(i, 4)));
     }},
    {"cumsum", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::cumsum(TensorArg(i, 0), IntArg(i, 1))); }},
    {"logsumexp",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(), at::logsumexp(TensorArg(i, 0), IntListArg(i, 1), BoolArg(i, 2)));
     }},
    {"matmul", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::matmul(TensorArg(i, 0), TensorArg(i, 1))); }},
    {"bmm", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::bmm(TensorArg(i, 0), TensorArg(i, 1))); }},
    // linear(x, weight, bias | null)
    {"linear",
     [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::linear(TensorArg(i, 0), TensorArg(i, 1), OptTensorArg(i, 2))); }},
    // Activations with parameters
    {"leakyRelu", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::leaky_relu(TensorArg(i, 0), ScalarArg(i, 1))); }},
    {"elu", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::elu(TensorArg(i, 0), ScalarArg(i, 1))); }},
    {"gelu", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::gelu(TensorArg(i, 0), StringArg(i, 1))); }},
    {"softmax", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::softmax(TensorArg(i, 0), IntArg(i, 1))); }},
    {"logSoftmax", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::log_softmax(TensorArg(i, 0), IntArg(i, 1))); }},
};

#undef NT_UNARY
#undef NT_BINARY
#undef NT_BINARY_INPLACE

}  // namespace

void RegisterTensorMath(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kMathOps); }

}  // namespace nt
