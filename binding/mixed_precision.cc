// mixed_precision.cc — autocast regions, the loss scaler, and nt.amp's native side: autocast
// around a JS function (ampAutocast) and a scaler handle for custom loops (ampScaler*).
//
// fp16 is refused on the CPU: libtorch 1.13's CPU autocast supports bf16 only (it would silently
// run in fp32), later versions' CPU fp16 kernels are slow without native fp16 hardware, and fp16's
// narrow range is what loss scaling exists for on GPUs; bf16 keeps fp32's range and is CPU
// autocast's own precision. The same rule holds on every libtorch version.
#include "mixed_precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <cmath>
#include <limits>

#include "args.h"
#include "external.h"
#include "spec_reader.h"
#include "tensor_wrap.h"

// libtorch 2.4 replaced the per-device autocast functions by ones taking the device type.
#define NT_AUTOCAST_BY_DEVICE_TYPE (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))

namespace nt {
namespace {

bool AutocastEnabled(at::DeviceType type) {
#if NT_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(type);
#else
  return type == at::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

void SetAutocastEnabled(at::DeviceType type, bool enabled) {
#if NT_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(type, enabled);
#else
  if (type == at::kCUDA) {
    at::autocast::set_enabled(enabled);
  } else {
    at::autocast::set_cpu_enabled(enabled);
  }
#endif
}

at::ScalarType AutocastDtype(at::DeviceType type) {
#if NT_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(type);
#else
  return type == at::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void SetAutocastDtype(at::DeviceType type, at::ScalarType dtype) {
#if NT_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(type, dtype);
#else
  if (type == at::kCUDA) {
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

}  // namespace

Precision ReadPrecision(Napi::Value v, const char* op) {
  if (IsNullish(v)) return {};
  const std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (name == "bf16") return {at::kBFloat16};
  if (name == "fp16") return {at::kHalf};
  throw RangeErr(v.Env(), op, "mixedPrecision must be 'bf16' or 'fp16', got " + (v.IsString() ? "'" + name + "'" : v.ToString().Utf8Value()));
}

void CheckPrecision(const Precision& p, const at::Device& device) {
  if (p.dtype == at::kHalf && !device.is_cuda()) {
    throw std::invalid_argument("mixedPrecision 'fp16' needs a CUDA device, not " + device.str() +
                                "; on the CPU use 'bf16' (CPU autocast computes in bf16 only)");
  }
  if (p.Mixed() && !device.is_cuda() && !device.is_cpu()) {
    throw std::invalid_argument("mixedPrecision runs on CPU or CUDA devices, not " + device.str());
  }
}

at::Tensor FullPrecisionOutput(const Precision& p, const at::Tensor& t) {
  return p.Mixed() && t.scalar_type() == p.dtype ? t.to(at::kFloat) : t;
}

AutocastRegion::AutocastRegion(const Precision& p, const at::Device& device) {
  if (!p.Mixed()) return;
  CheckPrecision(p, device);
  type_ = device.type();
  wasEnabled_ = AutocastEnabled(type_);
  wasDtype_ = AutocastDtype(type_);
  SetAutocastEnabled(type_, true);
  SetAutocastDtype(type_, p.dtype);
  at::autocast::increment_nesting();
  active_ = true;
}

AutocastRegion::~AutocastRegion() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  SetAutocastEnabled(type_, wasEnabled_);
  SetAutocastDtype(type_, wasDtype_);
}

at::Tensor LossScaler::Scale(const at::Tensor& loss) const { return enabled ? loss * scale : loss; }

bool LossScaler::Unscale(const std::vector<at::Tensor>& params) const {
  if (!enabled) return true;
  torch::NoGradGuard noGrad;
  const double inverse = static_cast<double>(static_cast<float>(1.0 / scale));  // as GradScaler: an fp32 reciprocal
  std::vector<at::Tensor> finite;
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    at::Tensor g = p.grad();
    g.mul_(inverse);
    finite.push_back(at::isfinite(g).all());
  }
  return finite.empty() || at::stack(finite).all().item<bool>();
}

void LossScaler::Update(bool finite) {
  if (!enabled) return;
  if (!finite) {
    scale *= backoffFactor;
    goodSteps = 0;
    return;
  }
  if (++goodSteps < growthInterval) return;
  const double grown = scale * growthFactor;
  if (std::isfinite(static_cast<float>(grown))) scale = grown;  // the scale is an fp32 value in PyTorch
  goodSteps = 0;
}

LossScaler ReadLossScaler(Napi::Value v, const Precision& p, const char* op) {
  LossScaler s;
  if (IsNullish(v)) {
    s.enabled = p.dtype == at::kHalf;
    return s;
  }
  if (v.IsBoolean()) {
    s.enabled = v.As<Napi::Boolean>().Value();
    return s;
  }
  if (!v.IsObject()) throw TypeErr(v.Env(), op, "lossScale must be false or an object { initScale, growthFactor, backoffFactor, growthInterval }");
  SpecReader r(v.As<Napi::Object>(), op, "lossScale");
  s.enabled = true;
  s.scale = r.Number("initScale", s.scale);
  s.growthFactor = r.Number("growthFactor", s.growthFactor);
  s.backoffFactor = r.Number("backoffFactor", s.backoffFactor);
  s.growthInterval = r.Int("growthInterval", s.growthInterval);
  if (!(s.scale > 0 && std::isfinite(s.scale))) throw RangeErr(v.Env(), op, "lossScale.initScale must be a finite number > 0");
  if (!(s.growthFactor > 1 && std::isfinite(s.growthFactor))) throw RangeErr(v.Env(), op, "lossScale.growthFactor must be a finite number > 1");
  if (!(s.backoffFactor > 0 && s.backoffFactor < 1)) throw RangeErr(v.Env(), op, "lossScale.backoffFactor must be in (0, 1)");
  if (s.growthInterval < 1) throw RangeErr(v.Env(), op, "lossScale.growthInterval must be >= 1");
  return s;
}

namespace {

struct ScalerHandle {
  static constexpr uint64_t kMagic = 0x6e74416d70536331ull;
  uint64_t magic = kMagic;
  LossScaler scaler;
};

LossScaler& ScalerArg(const Napi::CallbackInfo& info, size_t i) { return ExternalOf<ScalerHandle>(info.Env(), info[i], OpName(info), "a GradScaler")->scaler; }

const OpSpec kAmpOps[] = {
    // (device, 'bf16' | 'fp16', fn) → fn's result, fn called (on this thread) inside an autocast region
    {"ampAutocast",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       const at::Device device = DeviceArg(i, 0);
       const Precision p = ReadPrecision(i[1], OpName(i));
       if (!p.Mixed()) throw TypeErr(i.Env(), OpName(i), "dtype must be 'bf16' or 'fp16'");
       if (!i[2].IsFunction()) throw TypeErr(i.Env(), OpName(i), "fn must be a function");
       AutocastRegion region(p, device);
       return i[2].As<Napi::Function>().Call({});
     }},
    // ({ initScale, growthFactor, backoffFactor, growthInterval }) → scaler handle
    {"ampScalerCreate",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto h = std::make_unique<ScalerHandle>();
       h->scaler = ReadLossScaler(i[0], Precision{at::kHalf}, OpName(i));
       return OwnedExternal(i.Env(), std::move(h));
     }},
    // (scaler) → the current scale
    {"ampScalerGetScale", [](const Napi::CallbackInfo& i) -> Napi::Value { return Napi::Number::New(i.Env(), ScalerArg(i, 0).scale); }},
    // (scaler, params) → whether every gradient was finite after dividing it by the scale
    {"ampScalerUnscale", [](const Napi::CallbackInfo& i) -> Napi::Value { return Napi::Boolean::New(i.Env(), ScalerArg(i, 0).Unscale(TensorListArg(i, 1))); }},
    // (scaler, finite) → the new scale
    {"ampScalerUpdate",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       LossScaler& s = ScalerArg(i, 0);
       s.Update(BoolArg(i, 1));
       return Napi::Number::New(i.Env(), s.scale);
     }},
};

}  // namespace

void RegisterMixedPrecision(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kAmpOps); }

}  // namespace nt
