// mixed_precision.h — automatic mixed precision, PyTorch's torch.autocast + GradScaler: an
// AutocastRegion runs the forward and the loss with autocast's per-op precision on the model's
// device (the weights, "master weights", stay fp32), and a LossScaler scales the loss of fp16
// training, unscales the gradients before clipping, skips steps whose gradients hold inf/NaN and
// grows/backs off the scale. Used by compile()'s training step, the GAN trainer and nt.amp.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <vector>

namespace nt {

// The lower precision autocast computes in (kFloat: none, full precision).
struct Precision {
  at::ScalarType dtype = at::kFloat;
  bool Mixed() const { return dtype != at::kFloat; }
};

// 'bf16' | 'fp16' (undefined/null: full precision); a RangeError naming `op` otherwise.
Precision ReadPrecision(Napi::Value v, const char* op);

// Throws std::invalid_argument when `p` cannot run on `device`: fp16 needs CUDA (see the .cc).
void CheckPrecision(const Precision& p, const at::Device& device);

// A model output of a forward under autocast in precision `p`, as fp32 (the loss, the metrics and
// JS code see fp32 outputs, as Keras's mixed policy gives); other tensors unchanged.
at::Tensor FullPrecisionOutput(const Precision& p, const at::Tensor& t);

// Autocast on `device`'s type in precision `p` for the scope (nothing when `p` is full
// precision); restores the thread's previous autocast state and, leaving the outermost region,
// drops autocast's cache of cast weights (as torch.autocast's __exit__).
class AutocastRegion {
 public:
  AutocastRegion(const Precision& p, const at::Device& device);
  ~AutocastRegion();
  AutocastRegion(const AutocastRegion&) = delete;
  AutocastRegion& operator=(const AutocastRegion&) = delete;

 private:
  bool active_ = false;
  at::DeviceType type_ = at::kCPU;
  bool wasEnabled_ = false;
  at::ScalarType wasDtype_ = at::kFloat;
};

// Dynamic loss scaling with torch.cuda.amp.GradScaler's rules and defaults.
struct LossScaler {
  bool enabled = false;
  double scale = 65536.0;
  double growthFactor = 2.0;
  double backoffFactor = 0.5;
  int64_t growthInterval = 2000;
  int64_t goodSteps = 0;  // steps with finite gradients since the scale last changed

  // The loss times the scale (the loss itself when disabled).
  at::Tensor Scale(const at::Tensor& loss) const;
  // Divides the parameters' gradients by the scale; false when any of them holds inf or NaN.
  // Always true when disabled.
  bool Unscale(const std::vector<at::Tensor>& params) const;
  // After a step: backs off on inf/NaN gradients, grows after growthInterval good steps.
  void Update(bool finite);
};

// The scaler a training call uses: `v` is false (off), an options object { initScale,
// growthFactor, backoffFactor, growthInterval } (on), or undefined (on with the defaults for
// fp16, off otherwise). Errors name `op`.
LossScaler ReadLossScaler(Napi::Value v, const Precision& p, const char* op);

void RegisterMixedPrecision(Napi::Env env, Napi::Object exports);

}  // namespace nt
