// tensor_optimizer.cc — optimizers over any tensors that require grad (nt.optim, the Tensor-API
// counterpart of torch.optim): parameters of a TorchScript module being fine-tuned, or tensors a
// user trains by hand. Built with MakeOptimizer (the same options as compile()), one libtorch
// parameter group per JS group, each with its own options.
#include <unordered_set>

#include "args.h"
#include "external.h"
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
  auto* opt = ExternalOf<TensorOptimizer>(info.Env(), info[i], OpName(info), "an optimizer");
  if (!opt->optimizer) throw PlainErr(info.Env(), OpName(info), "the optimizer was disposed");
  return *opt;
}

// A group's parameters: leaf tensors that require grad. `where` names the group in messages.
std::vector<at::Tensor> GroupParams(Napi::Env env, Napi::Object group, const std::string& where) {
  Napi::Value list = group.Get("params");
  if (!list.IsArray()) throw TypeErr(env, "optim", where + "params must be an array of tensors");
  Napi::Array arr = list.As<Napi::Array>();
  if (arr.Length() == 0) throw RangeErr(env, "optim", where + "got an empty parameter list");
  std::vector<at::Tensor> params;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const at::Tensor& p = Unwrap(env, "optim", arr.Get(i));
    const std::string name = where + "params[" + std::to_string(i) + "]";
    if (!p.requires_grad()) throw RangeErr(env, "optim", name + " does not require grad");
    if (!p.is_leaf()) throw RangeErr(env, "optim", name + " is not a leaf tensor (it was computed from others)");
    params.push_back(p);
  }
  return params;
}

// ([{ params: Tensor[], spec }], { clipNorm?, clipValue? }) → optimizer handle. Groups after the
// first take the options of an optimizer MakeOptimizer builds from their own spec.
Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray() || info[0].As<Napi::Array>().Length() == 0) throw TypeErr(env, "optim", "expected a non-empty array of parameter groups");
  if (!info[1].IsObject()) throw TypeErr(env, "optim", "options must be an object");
  Napi::Array groups = info[0].As<Napi::Array>();
  auto opt = std::make_unique<TensorOptimizer>();
  std::unordered_set<const c10::TensorImpl*> seen;  // a parameter stepped twice per step would be a silent bug
  for (uint32_t g = 0; g < groups.Length(); ++g) {
    if (!groups.Get(g).IsObject()) throw TypeErr(env, "optim", "parameter group " + std::to_string(g) + " must be an object");
    Napi::Object group = groups.Get(g).As<Napi::Object>();
    if (!group.Get("spec").IsObject()) throw TypeErr(env, "optim", "parameter group " + std::to_string(g) + " has no options");
    const std::string where = groups.Length() > 1 ? "param group " + std::to_string(g) + ": " : "";
    std::vector<at::Tensor> params = GroupParams(env, group, where);
    for (size_t i = 0; i < params.size(); ++i) {
      if (!seen.insert(params[i].unsafeGetTensorImpl()).second) {
        throw RangeErr(env, "optim", where + "params[" + std::to_string(i) + "] appears more than once (in this or another parameter group)");
      }
    }
    auto built = MakeOptimizer(group.Get("spec").As<Napi::Object>(), params, "optim");
    if (g == 0) {
      opt->optimizer = std::move(built);
    } else {
      opt->optimizer->add_param_group(torch::optim::OptimizerParamGroup(params));
      // Set after adding: libtorch 2.x's add_param_group replaces options equal to the class
      // defaults (Adam's lr 1e-3) with the first group's, as if they had not been given.
      opt->optimizer->param_groups().back().set_options(built->param_groups().at(0).options().clone());
    }
    opt->params.insert(opt->params.end(), params.begin(), params.end());
  }
  SpecReader s(info[1].As<Napi::Object>(), "optim", "options");
  opt->clip.norm = s.Number("clipNorm", 0.0);
  opt->clip.value = s.Number("clipValue", 0.0);
  return OwnedExternal(info.Env(), std::move(opt));
}

torch::optim::OptimizerParamGroup& Group(const Napi::CallbackInfo& info, TensorOptimizer& opt, size_t i) {
  int64_t g = IntArg(info, i);
  auto& groups = opt.optimizer->param_groups();
  if (g < 0 || g >= static_cast<int64_t>(groups.size())) {
    throw RangeErr(info.Env(), "optim", "parameter group " + std::to_string(g) + " does not exist (the optimizer has " + std::to_string(groups.size()) + ")");
  }
  return groups[static_cast<size_t>(g)];
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
    // (opt, group) → that parameter group's lr
    {"optimGetLr", [](const Napi::CallbackInfo& i) -> Napi::Value { return Napi::Number::New(i.Env(), Group(i, OptimizerArg(i, 0), 1).options().get_lr()); }},
    // (opt, lr, group | null) sets one group's lr, or every group's
    {"optimSetLr",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       TensorOptimizer& opt = OptimizerArg(i, 0);
       double lr = NumberArg(i, 1);
       if (!(lr >= 0)) throw RangeErr(i.Env(), "optim", "learning rate must be >= 0, got " + std::to_string(lr));
       if (IsNullish(i[2])) {
         SetLr(*opt.optimizer, lr);
       } else {
         Group(i, opt, 2).options().set_lr(lr);
       }
       return i.Env().Undefined();
     }},
    // (opt) → uint8 tensor: the optimizer state and the groups' lrs (SaveOptimizerState)
    {"optimStateDict", [](const Napi::CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), SaveOptimizerState(*OptimizerArg(i, 0).optimizer)); }},
    // (opt, bytes) loads a state from optimStateDict of an optimizer of the same kind and parameter shapes
    {"optimLoadStateDict",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       TensorOptimizer& opt = OptimizerArg(i, 0);
       const at::Tensor& bytes = TensorArg(i, 1);
       if (bytes.scalar_type() != at::kByte || bytes.dim() != 1) throw TypeErr(i.Env(), OpName(i), "the state must be a 1-d uint8 tensor (from stateDict())");
       LoadOptimizerState(*opt.optimizer, bytes);
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
