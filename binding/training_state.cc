// training_state.cc — the training state a checkpoint needs besides the weights, as uint8 tensors:
// the optimizer (momenta, Adam moments, step counts and learning rates; see SaveOptimizerState —
// loaded here with the loss scaler's state, both read by modelSnapshot in model_wrap.cc so they
// match the weights),
// the default CPU generator (dropout masks, fit()'s shuffling) and the default generator of each
// CUDA device (dropout on CUDA; none where CUDA is unavailable).
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <torch/cuda.h>

#include <cmath>

#include "args.h"
#include "async.h"
#include "model_wrap.h"
#include "optimizer_wrap.h"
#include "spec_reader.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

using CallbackInfo = Napi::CallbackInfo;

at::Tensor ByteArg(const CallbackInfo& info, size_t i) {
  at::Tensor t = TensorArg(info, i);
  if (t.scalar_type() != at::kByte || t.dim() != 1) {
    throw TypeErr(info.Env(), OpName(info), "argument " + std::to_string(i) + " must be a 1-d uint8 tensor");
  }
  return t.to(at::kCPU).contiguous();
}

// A loss scaler's state as a checkpoint keeps it (torch.cuda.amp.GradScaler's scale and growth tracker).
struct ScalerState {
  bool given = false;
  double scale = 0;
  int64_t goodSteps = 0;
};

// { scale > 0, goodSteps >= 0 } | null | undefined
ScalerState ScalerStateArg(const CallbackInfo& info, size_t i) {
  if (IsNullish(info[i])) return {};
  if (!info[i].IsObject()) throw TypeErr(info.Env(), OpName(info), "the loss scale state must be an object");
  SpecReader s(info[i].As<Napi::Object>(), OpName(info), "the loss scale state");
  ScalerState out{true, s.Number("scale"), s.Int("goodSteps")};
  if (!(out.scale > 0 && std::isfinite(out.scale)) || out.goodSteps < 0) {
    throw RangeErr(info.Env(), OpName(info), "the loss scale state needs a finite scale > 0 and goodSteps >= 0");
  }
  return out;
}

// Replaces the optimizer's state and learning rate with those serialized in `bytes` (the state is
// read by modelSnapshot), and the loss scaler's state when one is given and the model trains with
// a scaler, off the event loop once the model is free.
class LoadOptimizerWorker : public PromiseWorker {
 public:
  LoadOptimizerWorker(Napi::Env env, std::shared_ptr<NativeModel> m, at::Tensor bytes, ScalerState scaler)
      : PromiseWorker(env, "loadOptimizerState"), m_(std::move(m)), bytes_(std::move(bytes)), scaler_(scaler) {
    Uses(m_->owner, "loadOptimizerState");
  }

 protected:
  void Run() override {
    Owner::Hold hold = m_->owner.Write("loadOptimizerState");
    if (!m_->optimizer) throw std::logic_error("the model must be compiled first (call compile())");
    LoadOptimizerState(*m_->optimizer, bytes_);
    m_->lr = GetLr(*m_->optimizer);
    m_->lrChanged = false;
    if (scaler_.given && m_->scaler.enabled) {
      m_->scaler.scale = scaler_.scale;
      m_->scaler.goodSteps = scaler_.goodSteps;
    }
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<NativeModel> m_;
  at::Tensor bytes_;
  ScalerState scaler_;
};

// (model, bytes, lossScale: { scale, goodSteps } | null) → Promise<void>
Napi::Value ModelLoadOptimizerState(const CallbackInfo& info) {
  return (new LoadOptimizerWorker(info.Env(), ModelArg(info, 0), ByteArg(info, 1), ScalerStateArg(info, 2)))->Queue();
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

int64_t CudaDevices() { return torch::cuda::is_available() ? static_cast<int64_t>(torch::cuda::device_count()) : 0; }

at::Generator CudaGenerator(int64_t device) { return at::globalContext().defaultGenerator(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device))); }

// () → one uint8 tensor per CUDA device with its default generator's state (like
// torch.cuda.get_rng_state_all); an empty array where CUDA is unavailable.
Napi::Value CudaRngStates(const CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t devices = CudaDevices();
  Napi::Array out = Napi::Array::New(env, static_cast<size_t>(devices));
  for (int64_t d = 0; d < devices; ++d) {
    at::Generator gen = CudaGenerator(d);
    std::lock_guard<std::mutex> lock(gen.mutex());
    out.Set(static_cast<uint32_t>(d), Wrap(env, gen.get_state()));
  }
  return out;
}

// (states[]) restores CUDA device i's default generator from states[i] (from rngGetCudaStates).
Napi::Value SetCudaRngStates(const CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<at::Tensor> states = TensorListArg(info, 0);
  const int64_t devices = CudaDevices();
  if (static_cast<int64_t>(states.size()) > devices) {
    throw RangeErr(env, OpName(info), std::to_string(states.size()) + " CUDA generator states for " + std::to_string(devices) + " CUDA devices");
  }
  for (size_t d = 0; d < states.size(); ++d) {
    if (states[d].scalar_type() != at::kByte || states[d].dim() != 1) throw TypeErr(env, OpName(info), "states[" + std::to_string(d) + "] must be a 1-d uint8 tensor");
    at::Generator gen = CudaGenerator(static_cast<int64_t>(d));
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(states[d].to(at::kCPU).contiguous());
  }
  return env.Undefined();
}

const OpSpec kTrainingStateOps[] = {
    {"modelLoadOptimizerState", ModelLoadOptimizerState},
    {"rngGetCpuState", CpuRngState},
    {"rngSetCpuState", SetCpuRngState},
    {"rngGetCudaStates", CudaRngStates},
    {"rngSetCudaStates", SetCudaRngStates},
};

}  // namespace

void RegisterTrainingState(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kTrainingStateOps); }

}  // namespace nt
