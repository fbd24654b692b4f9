// frozen_forward.h — model.optimizeForInference(): the model's TorchScript form (jit_export.h)
// frozen (weights folded in as constants) and optimized for inference (conv-BN folding, oneDNN
// fusions where the libtorch has them). Predictions run through it while the model's weights are
// the ones it was built from; a training step, a weight load, any in-place change of a weight or a
// device move makes it stale, and predictions go back to the eager graph.
#pragma once
#include <napi.h>
#include <torch/script.h>

#include <memory>
#include <vector>

#include "model_wrap.h"

namespace nt {

struct FrozenForward {
  torch::jit::Module module;
  std::vector<at::Tensor> weights;  // the model's parameters and buffers it was built from
  std::vector<int64_t> versions;    // their version counters then
  at::Device device{at::kCPU};

  // The model outputs for the inputs (already on `device`).
  std::vector<at::Tensor> Run(const std::vector<at::Tensor>& xs) const;
};

// The model's frozen forward while it is current, else null (a stale one is dropped).
std::shared_ptr<const FrozenForward> CurrentFrozen(NativeModel& m);

void RegisterFrozenForward(Napi::Env env, Napi::Object exports);

}  // namespace nt
