// trainer.h — training and inference loops of compiled models, run natively: one training step,
// batched evaluation and prediction, and fit() epochs on a worker thread.
#pragma once
#include <napi.h>

#include "custom_loss.h"
#include "model_wrap.h"

namespace nt {

// One optimizer step on a batch (forward, loss + penalties, backward, clipping, step, metrics).
// `customLoss` replaces the compiled loss for models compiled with a JS loss. Returns the batch
// loss. Takes the model lock.
double TrainStep(NativeModel& model, const at::Tensor& x, const at::Tensor& y, const at::Tensor& classWeight, MetricState* metrics,
                 const LossFn* customLoss);

void RegisterTrainer(Napi::Env env, Napi::Object exports);

}  // namespace nt
