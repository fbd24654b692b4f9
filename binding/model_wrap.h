// model_wrap.h — the native side of a model: its module graph, device, compile state (optimizer,
// loss, metrics, clipping) and the lock that serializes forward/step between threads. JS holds a
// handle (napi external) to a shared_ptr, so async work keeps the model alive.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "data_parallel.h"
#include "losses.h"
#include "metrics.h"
#include "module_graph.h"
#include "optimizer_wrap.h"

namespace nt {

struct NativeModel {
  ModuleGraph graph;
  at::Device device{at::kCPU};
  std::mutex mutex;                 // held for each forward or training step
  std::atomic<bool> fitting{false}; // a fit() is running on a worker thread
  std::atomic<bool> stopRequested{false};

  // compile() state
  bool compiled = false;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::vector<LossSpec> losses;     // one per output
  std::vector<double> lossWeights;  // one per output: the training loss is the weighted sum
  bool customLoss = false;          // compiled with a JS loss function (passed to each training call)
  std::vector<MetricSpec> metrics;  // computed for every output
  std::vector<std::string> outputNames;  // log prefixes for per-output metrics (models with several outputs)
  GradClip clip;
  std::shared_ptr<DataParallel> dataParallel;  // set by nt.distributed.wrap: training steps sync with the other ranks

  std::vector<at::Tensor> Parameters() { return graph.Parameters(); }
};

struct ModelHandle {
  static constexpr uint64_t kMagic = 0x6e744d6f64656c31ull;
  uint64_t magic = kMagic;
  std::shared_ptr<NativeModel> model;
};

// Sets train/eval mode for a scope and restores the previous mode.
class ModeGuard {
 public:
  ModeGuard(NativeModel& m, bool training) : m_(m), was_(m.graph.IsTraining()) { m_.graph.SetTraining(training); }
  ~ModeGuard() { m_.graph.SetTraining(was_); }

 private:
  NativeModel& m_;
  bool was_;
};

// Copies of the tensors on `device` (the same tensors when already there).
std::vector<at::Tensor> ToDevice(const std::vector<at::Tensor>& ts, const at::Device& device);

// The model behind a handle argument; throws a TypeError naming `op` for anything else.
std::shared_ptr<NativeModel> ModelArg(const Napi::CallbackInfo& info, size_t i);

// Forward for predictions: eval mode, no grad, under the model lock; restores the previous mode.
std::vector<at::Tensor> PredictForward(NativeModel& model, const std::vector<at::Tensor>& xs);

// The model inputs passed as argument i: a tensor handle or an array of them (one per input).
std::vector<at::Tensor> TensorsArg(const Napi::CallbackInfo& info, size_t i);
// The model outputs as JS: a tensor handle for one output, an array of handles for several.
Napi::Value WrapOutputs(Napi::Env env, const std::vector<at::Tensor>& outputs);

void RegisterModelWrap(Napi::Env env, Napi::Object exports);

}  // namespace nt
