// training_state.cc — the training state a checkpoint needs besides the weights, as uint8 tensors:
// the optimizer (libtorch's own serialization of its state and options: momenta, Adam moments and
// step counts, learning rates) and the default CPU generator (dropout masks, fit()'s shuffling).
#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cstring>
#include <sstream>

#include "args.h"
#include "model_wrap.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

using CallbackInfo = Napi::CallbackInfo;

torch::optim::Optimizer& CompiledOptimizer(const CallbackInfo& info, NativeModel& m) {
  if (!m.optimizer) throw PlainErr(info.Env(), OpName(info), "the model must be compiled first (call compile())");
  return *m.optimizer;
}

at::Tensor BytesTensor(const std::string& bytes) {
  at::Tensor t = at::empty({static_cast<int64_t>(bytes.size())}, at::kByte);
  std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

at::Tensor ByteArg(const CallbackInfo& info, size_t i) {
  at::Tensor t = TensorArg(info, i);
  if (t.scalar_type() != at::kByte || t.dim() != 1) {
    throw TypeErr(info.Env(), OpName(info), "argument " + std::to_string(i) + " must be a 1-d uint8 tensor");
  }
  return t.to(at::kCPU).contiguous();
}

// (model) → uint8 tensor of the optimizer's serialized state; allowed while fit waits at an epoch end.
Napi::Value OptimizerState(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  std::lock_guard<std::mutex> lock(m->mutex);
  torch::serialize::OutputArchive archive;
  CompiledOptimizer(info, *m).save(archive);
  std::ostringstream out;
  archive.save_to(out);
  return Wrap(info.Env(), BytesTensor(out.str()));
}

// (model, bytes) replaces the optimizer's state and options with those serialized in `bytes`.
Napi::Value LoadOptimizerState(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  if (m->fitting.load()) throw PlainErr(info.Env(), OpName(info), "the model is being trained by fit(); wait for it to finish");
  at::Tensor bytes = ByteArg(info, 1);
  std::lock_guard<std::mutex> lock(m->mutex);
  torch::optim::Optimizer& optimizer = CompiledOptimizer(info, *m);
  torch::serialize::InputArchive archive;
  archive.load_from(static_cast<const char*>(bytes.data_ptr()), static_cast<size_t>(bytes.numel()));
  optimizer.load(archive);
  return info.Env().Undefined();
}

// () → uint8 tensor of the default CPU generator's state.
Napi::Value CpuRngState(const CallbackInfo& info) {
  at::Generator gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return Wrap(info.Env(), gen.get_state());
}

// (state) restores the default CPU generator from a state returned by rngGetCpuState.
Napi::Value SetCpuRngState(const CallbackInfo& info) {
  at::Tensor state = ByteArg(info, 0);
  at::Generator gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
  return info.Env().Undefined();
}

const OpSpec kTrainingStateOps[] = {
    {"modelOptimizerState", OptimizerState},
    {"modelLoadOptimizerState", LoadOptimizerState},
    {"rngGetCpuState", CpuRngState},
    {"rngSetCpuState", SetCpuRngState},
};

}  // namespace

void RegisterTrainingState(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kTrainingStateOps); }

}  // namespace nt
