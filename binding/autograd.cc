// autograd.cc — gradients: backward, .grad, grad mode, torch.autograd.grad.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>

#include "args.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

using CallbackInfo = Napi::CallbackInfo;

const OpSpec kAutogradOps[] = {
    // backward(t, gradient | null, retainGraph, createGraph)
    {"backward",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& t = TensorArg(i, 0);
       auto gradient = OptTensorArg(i, 1);
       bool retain = BoolArg(i, 2);
       bool create = BoolArg(i, 3);
       t.backward(gradient.value_or(at::Tensor()), retain || create, create);
       return i.Env().Undefined();
     }},
    {"grad", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), TensorArg(i, 0).grad()); }},
    // setGrad(t, grad | null): null clears it (like optimizer.zero_grad(set_to_none=True))
    {"setGrad",
     [](const CallbackInfo& i) -> Napi::Value {
       at::Tensor t = TensorArg(i, 0);
       auto g = OptTensorArg(i, 1);
       t.mutable_grad() = g.value_or(at::Tensor());
       return i.Env().Undefined();
     }},
    {"gradFn",
     [](const CallbackInfo& i) -> Napi::Value {
       const auto& fn = TensorArg(i, 0).grad_fn();
       if (!fn) return i.Env().Null();
       return Napi::String::New(i.Env(), fn->name());
     }},
    {"retainGrad",
     [](const CallbackInfo& i) -> Napi::Value {
       TensorArg(i, 0).retain_grad();
       return i.Env().Undefined();
     }},
    // setGradEnabled(bool) → previous mode
    {"setGradEnabled",
     [](const CallbackInfo& i) -> Napi::Value {
       bool previous = at::GradMode::is_enabled();
       at::GradMode::set_enabled(BoolArg(i, 0));
       return Napi::Boolean::New(i.Env(), previous);
     }},
    {"isGradEnabled", [](const CallbackInfo& i) -> Napi::Value { return Napi::Boolean::New(i.Env(), at::GradMode::is_enabled()); }},
    // autogradGrad(outputs[], inputs[], gradOutputs[] | null, retainGraph, createGraph, allowUnused)
    {"autogradGrad",
     [](const CallbackInfo& i) -> Napi::Value {
       std::vector<at::Tensor> outputs = TensorListArg(i, 0);
       std::vector<at::Tensor> inputs = TensorListArg(i, 1);
       std::vector<at::Tensor> gradOutputs = IsNullish(i[2]) ? std::vector<at::Tensor>{} : TensorListArg(i, 2);
       bool create = BoolArg(i, 4);
       auto grads = torch::autograd::grad(outputs, inputs, gradOutputs, BoolArg(i, 3) || create, create, BoolArg(i, 5));
       Napi::Array out = Napi::Array::New(i.Env(), grads.size());
       for (size_t k = 0; k < grads.size(); ++k) out.Set(static_cast<uint32_t>(k), Wrap(i.Env(), grads[k]));
       return out;
     }},
};

}  // namespace

void RegisterAutograd(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kAutogradOps); }

}  // namespace nt
