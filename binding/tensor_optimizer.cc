// tensor_optimizer.cc — optimizers over any tensors that require grad (nt.optim, the Tensor-API
// counterpart of torch.optim): parameters of a TorchScript module being fine-tuned, or tensors a
// user trains by hand. Built with MakeOptimizer (the same options as compile()).
#include "args.h"
#include "optimizer_wrap.h"
#include "spec_reader.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

struct TensorOptimizer {
  static constexpr uint64_t kMagic = 0x6e744f7074696d31ull;
  uint64_t magic = kMagic;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::vector<at::Tensor> params;
  GradClip clip;
};

TensorOptimizer& OptimizerArg(const Napi::CallbackInfo& info, size_t i) {
  void* data = nullptr;
  if (napi_get_value_external(info.Env(), info[i], &data) != napi_ok || data == nullptr ||
      static_cast<TensorOptimizer*>(data)->magic != TensorOptimizer::kMagic) {
    throw TypeErr(info.Env(), OpName(info), "expected an optimizer");
  }
  auto* opt = static_cast<TensorOptimizer*>(data);
  if (!opt->optimizer) throw PlainErr(info.Env(), OpName(info), "the optimizer was disposed");
  return *opt;
}

// (params[], spec) → optimizer handle
Napi::Value Create(const Napi::CallbackInfo& info) {
  std::vector<at::Tensor> params = TensorListArg(info, 0);
  if (params.empty()) throw RangeErr(info.Env(), "optim", "got an empty parameter list");
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].requires_grad()) throw RangeErr(info.Env(), "optim", "params[" + std::to_string(i) + "] does not require grad");
    if (!params[i].is_leaf()) throw RangeErr(info.Env(), "optim", "params[" + std::to_string(i) + "] is not a leaf tensor (it was computed from others)");
  }
  if (!info[1].IsObject()) throw TypeErr(info.Env(), "optim", "options must be an object");
  auto opt = std::make_unique<TensorOptimizer>();
  opt->optimizer = MakeOptimizer(info[1].As<Napi::Object>(), params, "optim");
  SpecReader s(info[1].As<Napi::Object>(), "optim", "options");
  opt->clip.norm = s.Number("clipNorm", 0.0);
  opt->clip.value = s.Number("clipValue", 0.0);
  opt->params = std::move(params);
  napi_value ext;
  TensorOptimizer* raw = opt.get();
  NAPI_THROW_IF_FAILED(info.Env(),
                       napi_create_external(
                           info.Env(), raw, [](napi_env, void* data, void*) { delete static_cast<TensorOptimizer*>(data); }, nullptr, &ext),
                       Napi::Value());
  opt.release();
  return Napi::Value(info.Env(), ext);
}

const OpSpec kOptimOps[] = {
    // (opt) → undefined: clips (if asked) and applies the gradients accumulated by backward()
    {"optimStep",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       TensorOptimizer& opt = OptimizerArg(i, 0);
       if (opt.clip.norm > 0 || opt.clip.value > 0) opt.clip.Apply(opt.params);
       opt.optimizer->step();
       return i.Env().Undefined();
     }},
    // (opt, setToNone) → undefined
    {"optimZeroGrad",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       TensorOptimizer& opt = OptimizerArg(i, 0);
       bool none = BoolArg(i, 1);
       for (auto& p : opt.params) {
         if (!p.grad().defined()) continue;
         if (none) {
           p.mutable_grad().reset();
         } else {
           p.mutable_grad().detach_();
           p.mutable_grad().zero_();
         }
       }
       return i.Env().Undefined();
     }},
    {"optimGetLr", [](const Napi::CallbackInfo& i) -> Napi::Value { return Napi::Number::New(i.Env(), GetLr(*OptimizerArg(i, 0).optimizer)); }},
    {"optimSetLr",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       double lr = NumberArg(i, 1);
       if (!(lr >= 0)) throw RangeErr(i.Env(), "optim", "learning rate must be >= 0, got " + std::to_string(lr));
       SetLr(*OptimizerArg(i, 0).optimizer, lr);
       return i.Env().Undefined();
     }},
    {"optimDispose",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       TensorOptimizer& opt = OptimizerArg(i, 0);
       opt.optimizer.reset();
       opt.params.clear();
       return i.Env().Undefined();
     }},
    {"optimCreate", Create},
};

}  // namespace

void RegisterTensorOptimizer(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kOptimOps); }

}  // namespace nt
