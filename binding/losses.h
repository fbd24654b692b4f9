// losses.h — the training losses of compiled models (Keras names, PyTorch numerics).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <string>

namespace nt {

struct LossSpec {
  std::string kind;           // sparseCategoricalCrossentropy, categoricalCrossentropy, binaryCrossentropy,
                              // meanSquaredError, meanAbsoluteError, huber, kld
  bool fromLogits = false;    // predictions are logits (the final softmax/sigmoid was fused into the loss)
  double labelSmoothing = 0;
  double delta = 1.0;         // huber
};

LossSpec ReadLossSpec(Napi::Object spec, const char* op);

// Mean loss over the batch; `classWeight` (optional, [C]) weights each sample by its class.
at::Tensor ComputeLoss(const LossSpec& spec, const at::Tensor& pred, const at::Tensor& target, const at::Tensor& classWeight);

}  // namespace nt
