// model_wrap.h — the native side of a model: its module graph, device, compile state (optimizer,
// loss, metrics, clipping) and its Owner (ownership.h: who may read or write it when; see
// docs/concurrency.md). JS holds a handle (napi external) to a shared_ptr, so async work keeps the
// model alive.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <vector>

#include "async.h"
#include "data_parallel.h"
#include "losses.h"
#include "metrics.h"
#include "mixed_precision.h"
#include "module_graph.h"
#include "optimizer_wrap.h"
#include "ownership.h"

namespace nt {

struct FrozenForward;  // frozen_forward.h

struct NativeModel {
  ModuleGraph graph;
  at::Device device{at::kCPU};
  // Reads (forwards, snapshots) share it, writes (steps, weight copies) hold it alone; the session
  // is fit() or GAN training. The graph rests in eval mode: writers that train switch it and back.
  Owner owner{"the model"};
  std::atomic<bool> stopRequested{false};
  std::atomic<bool> userTraining{true};  // the mode call() runs in (train()/eval())
  // The learning rate as JS reads and sets it; a change reaches the optimizer with the next write
  // hold that uses it (ApplyLr), so setLearningRate never touches the optimizer under a step.
  std::atomic<double> lr{NAN};
  std::atomic<bool> lrChanged{false};

  // compile() state
  bool compiled = false;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::vector<LossSpec> losses;     // one per output
  std::vector<double> lossWeights;  // one per output: the training loss is the weighted sum
  bool customLoss = false;          // compiled with a JS loss function (passed to each training call)
  std::vector<MetricSpec> metrics;  // computed for every output
  std::vector<std::string> outputNames;  // log prefixes for per-output metrics (models with several outputs)
  GradClip clip;
  Precision precision;  // mixedPrecision: autocast around the training forward and loss
  LossScaler scaler;    // scales the loss of fp16 training (mixed_precision.h)
  std::shared_ptr<DataParallel> dataParallel;  // set by nt.distributed.wrap: training steps sync with the other ranks
  // Set by optimizeForInference (frozen_forward.h); read and replaced with std::atomic_load/store.
  std::shared_ptr<const FrozenForward> frozen;

  std::vector<at::Tensor> Parameters() { return graph.Parameters(); }
  // Where predictions over tensors run: the model's own thread, made at the first one (async.h
  // says why); calls on one model run in order there, calls on different models in parallel.
  WorkThread& PredictThread() {
    std::call_once(predictThreadMade_, [this] { predictThread_ = std::make_unique<WorkThread>(); });
    return *predictThread_;
  }
  // Sets the learning rate to apply with the next write hold.
  void RequestLr(double value) {
    lr = value;
    lrChanged = true;
  }
  // Under a write hold: gives the optimizer the requested learning rate.
  void ApplyLr() {
    if (lrChanged.exchange(false) && optimizer) SetLr(*optimizer, lr.load());
  }

 private:
  std::once_flag predictThreadMade_;
  std::unique_ptr<WorkThread> predictThread_;  // last: its jobs end before the rest goes
};

struct ModelHandle {
  static constexpr uint64_t kMagic = 0x6e744d6f64656c31ull;
  uint64_t magic = kMagic;
  std::shared_ptr<NativeModel> model;
};

// Sets train/eval mode for a scope and restores the previous mode; touches nothing when the
// mode is already right (so readers of a model resting in eval mode never write to it).
class ModeGuard {
 public:
  ModeGuard(NativeModel& m, bool training) : m_(m), was_(m.graph.IsTraining()) {
    if (was_ != training) m_.graph.SetTraining(training);
  }
  ~ModeGuard() {
    if (m_.graph.IsTraining() != was_) m_.graph.SetTraining(was_);
  }
  ModeGuard(const ModeGuard&) = delete;
  ModeGuard& operator=(const ModeGuard&) = delete;

 private:
  NativeModel& m_;
  bool was_;
};

// Copies of the tensors on `device` (the same tensors when already there).
std::vector<at::Tensor> ToDevice(const std::vector<at::Tensor>& ts, const at::Device& device);

// The model behind a handle argument; throws a TypeError naming `op` for anything else.
std::shared_ptr<NativeModel> ModelArg(const Napi::CallbackInfo& info, size_t i);

// Forward for predictions: eval mode, inference mode, through the frozen forward while it is
// current; `channelsLast` runs 4-D inputs in channels_last memory format. The outputs may be
// inference tensors: pass them through OrdinaryTensor before JS sees them. The caller holds the
// model for reading.
std::vector<at::Tensor> PredictForward(NativeModel& model, const std::vector<at::Tensor>& xs, bool channelsLast);

// A tensor JS may use freely (in autograd graphs, in place): a contiguous copy of an inference
// tensor or of a non-contiguous one, else the tensor itself. Call outside inference mode.
at::Tensor OrdinaryTensor(const at::Tensor& t);

// Throws (naming `op`) while fit() or GAN training has the model.
void RefuseDuringSession(const Napi::CallbackInfo& info, NativeModel& m, const char* op);

// The model inputs passed as argument i: a tensor handle or an array of them (one per input).
std::vector<at::Tensor> TensorsArg(const Napi::CallbackInfo& info, size_t i);
// The model outputs as JS: a tensor handle for one output, an array of handles for several.
Napi::Value WrapOutputs(Napi::Env env, const std::vector<at::Tensor>& outputs);

void RegisterModelWrap(Napi::Env env, Napi::Object exports);

}  // namespace nt
