// frozen_forward.cc — builds a model's frozen forward off the event loop (modelOptimizeForInference),
// runs it, and tells whether it is still current (weights' version counters, device).
#include "frozen_forward.h"

#include "async.h"
#include "args.h"
#include "external.h"
#include "jit_export.h"

namespace nt {
namespace {

// Parameters and buffers (the same tensors the graph runs with, so their version counters move
// with every in-place change: optimizer steps, weight loads, batch-norm statistics).
std::vector<at::Tensor> Weights(NativeModel& m) {
  std::vector<at::Tensor> out = m.graph.Parameters();
  for (const auto& b : m.graph.NamedBuffers()) out.push_back(b.value());
  return out;
}

bool IsCurrent(const FrozenForward& f, NativeModel& m) {
  if (f.device != m.device) return false;
  for (size_t i = 0; i < f.weights.size(); ++i) {
    if (f.weights[i]._version() != f.versions[i]) return false;
  }
  return true;
}

std::shared_ptr<const FrozenForward> Freeze(NativeModel& m, const std::vector<SubmoduleSource>& subs, const std::string& forward) {
  torch::NoGradGuard noGrad;
  auto f = std::make_shared<FrozenForward>();
  f->device = m.device;
  f->weights = Weights(m);
  for (const auto& w : f->weights) f->versions.push_back(w._version());
  torch::jit::Module scripted = BuildScriptModule(m, subs, forward);
  // freeze() inlines the weights as constants and folds what they determine; optimize_for_inference
  // then folds batch norms into convolutions and fuses with oneDNN (on CPU builds that have it).
  torch::jit::Module frozen = torch::jit::freeze(scripted);
  f->module = torch::jit::optimize_for_inference(frozen);
  return f;
}

class OptimizeWorker : public PromiseWorker {
 public:
  OptimizeWorker(Napi::Env env, std::shared_ptr<NativeModel> m, std::vector<SubmoduleSource> subs, std::string forward)
      : PromiseWorker(env, "optimizeForInference"), m_(std::move(m)), subs_(std::move(subs)),
        forward_(std::move(forward)) {
    Uses(m_->owner, "optimizeForInference");
  }

 protected:
  void Run() override {
    Owner::Hold hold = m_->owner.Read();  // the weights must not change while they are folded in
    std::atomic_store(&m_->frozen, Freeze(*m_, subs_, forward_));
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<NativeModel> m_;
  std::vector<SubmoduleSource> subs_;
  std::string forward_;
};

// (model, [{ className, source }], forwardSource) → Promise<void>
Napi::Value OptimizeForInference(const Napi::CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  std::vector<SubmoduleSource> subs = SubmoduleSourcesArg(info, 1, "optimizeForInference");
  return (new OptimizeWorker(info.Env(), std::move(m), std::move(subs), StringArg(info, 2)))->StartThread();
}

// (model) → whether predictions run through a current frozen forward (false once the model is
// disposed: like the model's other state getters, this one never throws)
Napi::Value IsOptimized(const Napi::CallbackInfo& info) {
  const std::shared_ptr<NativeModel>& model = ExternalOf<ModelHandle>(info.Env(), info[0], OpName(info), "a model")->model;
  return Napi::Boolean::New(info.Env(), model && CurrentFrozen(*model) != nullptr);
}

const OpSpec kFrozenForwardOps[] = {
    {"modelOptimizeForInference", OptimizeForInference},
    {"modelIsOptimized", IsOptimized},
};

}  // namespace

std::vector<at::Tensor> FrozenForward::Run(const std::vector<at::Tensor>& xs) const {
  torch::jit::Module mod = module;  // a handle: forward() is not const, the module is shared
  torch::jit::IValue out = mod.forward(std::vector<torch::jit::IValue>(xs.begin(), xs.end()));
  if (!out.isTuple()) return {out.toTensor()};
  std::vector<at::Tensor> outs;
  for (const auto& v : out.toTupleRef().elements()) outs.push_back(v.toTensor());
  return outs;
}

std::shared_ptr<const FrozenForward> CurrentFrozen(NativeModel& m) {
  std::shared_ptr<const FrozenForward> f = std::atomic_load(&m.frozen);
  if (f == nullptr || IsCurrent(*f, m)) return f;
  // Stale: drop it, unless a newer one replaced it meanwhile.
  std::atomic_compare_exchange_strong(&m.frozen, &f, std::shared_ptr<const FrozenForward>());
  return nullptr;
}

void RegisterFrozenForward(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kFrozenForwardOps); }

}  // namespace nt
