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
  LossSpec loss;
  bool customLoss = false;          // compiled with a JS loss function (passed to each training call)
  std::vector<MetricSpec> metrics;
  int64_t fusedTail = 0;            // trailing modules (softmax/sigmoid) skipped in the training forward
  GradClip clip;

  std::vector<at::Tensor> Parameters() { return graph.Parameters(); }
};

struct ModelHandle {
  static constexpr uint64_t kMagic = 0x6e744d6f64656c31ull;
  uint64_t magic = kMagic;
  std::shared_ptr<NativeModel> model;
};

// The model behind a handle argument; throws a TypeError naming `op` for anything else.
std::shared_ptr<NativeModel> ModelArg(const Napi::CallbackInfo& info, size_t i);

// Forward for predictions: eval mode, no grad, under the model lock; restores the previous mode.
at::Tensor PredictForward(NativeModel& model, const at::Tensor& x);

void RegisterModelWrap(Napi::Env env, Napi::Object exports);

}  // namespace nt
