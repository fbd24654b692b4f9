// model_wrap.cc — model handles: creation from layer specs, state dict access, device moves,
// train/eval mode, synchronous forward, and compile().
#include "model_wrap.h"

#include "args.h"
#include "spec_reader.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

using CallbackInfo = Napi::CallbackInfo;

void RefuseWhileFitting(const CallbackInfo& info, NativeModel& m, const char* op) {
  if (m.fitting.load()) throw PlainErr(info.Env(), op, "the model is being trained by fit(); wait for it to finish");
}

// (specs[]) → model handle
Napi::Value Create(const CallbackInfo& info) {
  if (!info[0].IsArray()) throw TypeErr(info.Env(), "modelCreate", "layer specs must be an array");
  auto* handle = new ModelHandle();
  try {
    handle->model = std::make_shared<NativeModel>();
    handle->model->graph = BuildModuleGraph(info[0].As<Napi::Array>(), "compile");
  } catch (...) {
    delete handle;
    throw;
  }
  napi_value ext;
  napi_status status = napi_create_external(
      info.Env(), handle, [](napi_env, void* data, void*) { delete static_cast<ModelHandle*>(data); }, nullptr, &ext);
  if (status != napi_ok) {
    delete handle;
    NAPI_THROW_IF_FAILED(info.Env(), status, Napi::Value());
  }
  return Napi::Value(info.Env(), ext);
}

// (model) → [[name, tensor, isParameter], ...] of parameters and buffers (aliases, detached)
Napi::Value StateDict(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  std::lock_guard<std::mutex> lock(m->mutex);
  Napi::Array out = Napi::Array::New(info.Env());
  uint32_t k = 0;
  auto add = [&](const std::string& name, const at::Tensor& t, bool isParameter) {
    Napi::Array entry = Napi::Array::New(info.Env(), 3);
    entry.Set(0u, Napi::String::New(info.Env(), name));
    entry.Set(1u, Wrap(info.Env(), t.detach()));
    entry.Set(2u, Napi::Boolean::New(info.Env(), isParameter));
    out.Set(k++, entry);
  };
  for (const auto& p : m->graph.NamedParameters()) add(p.key(), p.value(), true);
  for (const auto& b : m->graph.NamedBuffers()) add(b.key(), b.value(), false);
  return out;
}

// (model, names[], tensors[]) copies values into parameters/buffers; shapes must match. Allowed
// while fit runs (callbacks restore weights): the model lock puts the copy between two steps.
Napi::Value LoadState(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  Napi::Array names = info[1].As<Napi::Array>();
  std::vector<at::Tensor> values = TensorListArg(info, 2);
  std::lock_guard<std::mutex> lock(m->mutex);
  auto params = m->graph.NamedParameters();
  auto buffers = m->graph.NamedBuffers();
  torch::NoGradGuard noGrad;
  for (uint32_t i = 0; i < names.Length(); ++i) {
    std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    at::Tensor* target = params.find(name);
    if (target == nullptr) target = buffers.find(name);
    if (target == nullptr) throw RangeErr(info.Env(), OpName(info), "unknown weight '" + name + "'");
    if (target->sizes() != values[i].sizes()) {
      throw RangeErr(info.Env(), OpName(info), "weight '" + name + "' has shape " + c10::str(target->sizes()) + ", got " +
                                                   c10::str(values[i].sizes()));
    }
    target->copy_(values[i]);
  }
  return info.Env().Undefined();
}

Napi::Value To(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  RefuseWhileFitting(info, *m, "to");
  at::Device device = DeviceArg(info, 1);
  std::lock_guard<std::mutex> lock(m->mutex);
  m->graph.To(device);
  m->device = device;
  return info.Env().Undefined();
}

Napi::Value SetTraining(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  RefuseWhileFitting(info, *m, "train");
  std::lock_guard<std::mutex> lock(m->mutex);
  m->graph.SetTraining(BoolArg(info, 1));
  return info.Env().Undefined();
}

// (model, x) → output, in eval mode without grad
Napi::Value PredictSync(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  if (m->customLoss && m->fitting.load()) {
    // fit() waits for this thread to run the JS loss while holding the model lock.
    throw PlainErr(info.Env(), "predictSync", "cannot run on the main thread while fit() with a custom loss runs; use predict()");
  }
  return Wrap(info.Env(), PredictForward(*m, TensorArg(info, 1)));
}

// (model, x) → output with autograd, in the current mode (like calling a PyTorch module)
Napi::Value Call(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  RefuseWhileFitting(info, *m, "call");
  std::lock_guard<std::mutex> lock(m->mutex);
  return Wrap(info.Env(), m->graph.Forward(TensorArg(info, 1)));
}

// (model, { optimizer, loss, metrics, fusedTail, clipNorm, clipValue })
Napi::Value Compile(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  RefuseWhileFitting(info, *m, "compile");
  if (!info[1].IsObject()) throw TypeErr(info.Env(), "compile", "options must be an object");
  SpecReader s(info[1].As<Napi::Object>(), "compile", "options");
  std::lock_guard<std::mutex> lock(m->mutex);
  m->optimizer = MakeOptimizer(s.Object("optimizer"), m->Parameters(), "compile");
  m->customLoss = s.Bool("customLoss", false);
  if (!m->customLoss) m->loss = ReadLossSpec(s.Object("loss"), "compile");
  Napi::Value metrics = s.Raw("metrics");
  m->metrics = metrics.IsArray() ? ReadMetricSpecs(metrics.As<Napi::Array>(), "compile") : std::vector<MetricSpec>{};
  m->fusedTail = s.Int("fusedTail", 0);
  m->clip.norm = s.Number("clipNorm", 0.0);
  m->clip.value = s.Number("clipValue", 0.0);
  m->compiled = true;
  return info.Env().Undefined();
}

Napi::Value GetLearningRate(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  if (!m->optimizer) throw PlainErr(info.Env(), "getLearningRate", "the model is not compiled");
  return Napi::Number::New(info.Env(), GetLr(*m->optimizer));
}

Napi::Value SetLearningRate(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  if (!m->optimizer) throw PlainErr(info.Env(), "setLearningRate", "the model is not compiled");
  double lr = NumberArg(info, 1);
  if (!(lr >= 0)) throw RangeErr(info.Env(), "setLearningRate", "learning rate must be >= 0, got " + std::to_string(lr));
  SetLr(*m->optimizer, lr);
  return info.Env().Undefined();
}

Napi::Value StopFit(const CallbackInfo& info) {
  ModelArg(info, 0)->stopRequested = true;
  return info.Env().Undefined();
}

// Drops the handle's reference to the native model (its memory goes once async work holding it ends).
Napi::Value Dispose(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  RefuseWhileFitting(info, *m, "dispose");
  void* data = nullptr;
  napi_get_value_external(info.Env(), info[0], &data);
  static_cast<ModelHandle*>(data)->model.reset();
  return info.Env().Undefined();
}

Napi::Value IsFitting(const CallbackInfo& info) { return Napi::Boolean::New(info.Env(), ModelArg(info, 0)->fitting.load()); }

const OpSpec kModelOps[] = {
    {"modelCreate", Create},
    {"modelStateDict", StateDict},
    {"modelLoadState", LoadState},
    {"modelTo", To},
    {"modelSetTraining", SetTraining},
    {"modelPredictSync", PredictSync},
    {"modelCall", Call},
    {"modelCompile", Compile},
    {"modelGetLearningRate", GetLearningRate},
    {"modelSetLearningRate", SetLearningRate},
    {"modelStopFit", StopFit},
    {"modelIsFitting", IsFitting},
    {"modelDispose", Dispose},
};

}  // namespace

std::shared_ptr<NativeModel> ModelArg(const Napi::CallbackInfo& info, size_t i) {
  void* data = nullptr;
  napi_value v = info[i];
  if (napi_get_value_external(info.Env(), v, &data) != napi_ok || data == nullptr ||
      static_cast<ModelHandle*>(data)->magic != ModelHandle::kMagic) {
    throw TypeErr(info.Env(), OpName(info), "expected a model");
  }
  std::shared_ptr<NativeModel> model = static_cast<ModelHandle*>(data)->model;
  if (!model) throw PlainErr(info.Env(), OpName(info), "the model was disposed");
  return model;
}

at::Tensor PredictForward(NativeModel& model, const at::Tensor& x) {
  std::lock_guard<std::mutex> lock(model.mutex);
  torch::NoGradGuard noGrad;
  bool wasTraining = model.graph.IsTraining();
  model.graph.SetTraining(false);
  at::Tensor out;
  try {
    out = model.graph.Forward(x.to(model.device));
  } catch (...) {
    model.graph.SetTraining(wasTraining);
    throw;
  }
  model.graph.SetTraining(wasTraining);
  return out;
}

void RegisterModelWrap(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kModelOps); }

}  // namespace nt
