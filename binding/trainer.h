// trainer.h — training and inference loops of compiled models, run natively: trainOnBatch,
// batched evaluation and prediction, and fit() epochs on a worker thread.
#pragma once
#include <napi.h>

#include "custom_loss.h"
#include "model_wrap.h"

namespace nt {

void RegisterTrainer(Napi::Env env, Napi::Object exports);

}  // namespace nt
