// model_wrap.cc — model handles: creation from layer specs, state dict access, device moves,
// train/eval mode, synchronous forward, and compile().
#include "model_wrap.h"

#include "args.h"
#include "external.h"
#include "spec_reader.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

using CallbackInfo = Napi::CallbackInfo;

void RefuseWhileFitting(const CallbackInfo& info, NativeModel& m, const char* op) {
  if (m.fitting.load()) throw PlainErr(info.Env(), op, "the model is being trained by fit(); wait for it to finish");
}

// ({ modules, nodes, numInputs, outputs }) → model handle
Napi::Value Create(const CallbackInfo& info) {
  if (!info[0].IsObject()) throw TypeErr(info.Env(), "modelCreate", "the graph must be an object");
  auto handle = std::make_unique<ModelHandle>();
  handle->model = std::make_shared<NativeModel>();
  handle->model->graph = BuildModuleGraph(info[0].As<Napi::Object>(), "build");
  return OwnedExternal(info.Env(), std::move(handle));
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
  return WrapOutputs(info.Env(), PredictForward(*m, TensorsArg(info, 1)));
}

// (model, x | x[]) → output(s) with autograd, in the current mode (like calling a PyTorch module)
Napi::Value Call(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  RefuseWhileFitting(info, *m, "call");
  std::vector<at::Tensor> xs = TensorsArg(info, 1);
  std::lock_guard<std::mutex> lock(m->mutex);
  return WrapOutputs(info.Env(), m->graph.Run(xs));
}

// Per-output values of a compile option: one entry for all outputs, or one per output.
template <typename T, typename Read>
std::vector<T> PerOutput(const SpecReader& s, const char* key, size_t outputs, T fallback, Read read) {
  if (!s.Has(key)) return std::vector<T>(outputs, fallback);
  Napi::Value v = s.Raw(key);
  if (!v.IsArray()) return std::vector<T>(outputs, read(v));
  Napi::Array arr = v.As<Napi::Array>();
  if (arr.Length() != outputs) {
    throw RangeErr(v.Env(), "compile", std::string("'") + key + "' needs one entry per output (" + std::to_string(outputs) + "), got " +
                                           std::to_string(arr.Length()));
  }
  std::vector<T> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(read(arr.Get(i)));
  return out;
}

// (model, { optimizer, loss | loss[], lossWeights?, metrics, fuse: bool[], outputNames, clipNorm, clipValue })
Napi::Value Compile(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  RefuseWhileFitting(info, *m, "compile");
  if (!info[1].IsObject()) throw TypeErr(info.Env(), "compile", "options must be an object");
  SpecReader s(info[1].As<Napi::Object>(), "compile", "options");
  std::lock_guard<std::mutex> lock(m->mutex);
  m->optimizer = MakeOptimizer(s.Object("optimizer"), m->Parameters(), "compile");
  const size_t outputs = m->graph.outputs.size();
  m->customLoss = s.Bool("customLoss", false);
  if (m->customLoss && outputs != 1) throw PlainErr(info.Env(), "compile", "a custom JS loss needs a model with one output");
  if (!m->customLoss) {
    m->losses = PerOutput<LossSpec>(s, "loss", outputs, LossSpec{}, [](Napi::Value v) {
      if (!v.IsObject()) throw TypeErr(v.Env(), "compile", "each loss must be a loss spec");
      return ReadLossSpec(v.As<Napi::Object>(), "compile");
    });
  }
  m->lossWeights = PerOutput<double>(s, "lossWeights", outputs, 1.0, [](Napi::Value v) {
    if (!v.IsNumber()) throw TypeErr(v.Env(), "compile", "lossWeights must be numbers");
    return v.As<Napi::Number>().DoubleValue();
  });
  Napi::Value metrics = s.Raw("metrics");
  m->metrics = metrics.IsArray() ? ReadMetricSpecs(metrics.As<Napi::Array>(), "compile") : std::vector<MetricSpec>{};
  m->outputNames = PerOutput<std::string>(s, "outputNames", outputs, "", [](Napi::Value v) { return v.ToString().Utf8Value(); });
  std::vector<bool> fuse = PerOutput<bool>(s, "fuse", outputs, false, [](Napi::Value v) { return v.ToBoolean().Value(); });
  m->graph.Fuse(fuse);
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
  ExternalOf<ModelHandle>(info.Env(), info[0], "dispose", "a model")->model.reset();
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
  std::shared_ptr<NativeModel> model = ExternalOf<ModelHandle>(info.Env(), info[i], OpName(info), "a model")->model;
  if (!model) throw PlainErr(info.Env(), OpName(info), "the model was disposed");
  return model;
}

std::vector<at::Tensor> PredictForward(NativeModel& model, const std::vector<at::Tensor>& xs) {
  std::lock_guard<std::mutex> lock(model.mutex);
  torch::NoGradGuard noGrad;
  bool wasTraining = model.graph.IsTraining();
  model.graph.SetTraining(false);
  std::vector<at::Tensor> out;
  try {
    out = model.graph.Run(ToDevice(xs, model.device));
  } catch (...) {
    model.graph.SetTraining(wasTraining);
    throw;
  }
  model.graph.SetTraining(wasTraining);
  return out;
}

std::vector<at::Tensor> ToDevice(const std::vector<at::Tensor>& ts, const at::Device& device) {
  std::vector<at::Tensor> out;
  out.reserve(ts.size());
  for (const auto& t : ts) out.push_back(t.to(device));
  return out;
}

std::vector<at::Tensor> TensorsArg(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsArray()) return TensorListArg(info, i);
  return {TensorArg(info, i)};
}

Napi::Value WrapOutputs(Napi::Env env, const std::vector<at::Tensor>& outputs) {
  if (outputs.size() == 1) return Wrap(env, outputs[0]);
  Napi::Array arr = Napi::Array::New(env, outputs.size());
  for (uint32_t k = 0; k < outputs.size(); ++k) arr.Set(k, Wrap(env, outputs[k]));
  return arr;
}

void RegisterModelWrap(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kModelOps); }

}  // namespace nt
