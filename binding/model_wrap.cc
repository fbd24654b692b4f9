// model_wrap.cc — model handles: creation from layer specs, state dict access (aliases, copies and
// async snapshots), weight loading, device moves, train/eval mode, synchronous forward, and
// compile(); each takes the model through its Owner (ownership.h).
#include "model_wrap.h"

#include "args.h"
#include "async.h"
#include "external.h"
#include "frozen_forward.h"
#include "spec_reader.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

using CallbackInfo = Napi::CallbackInfo;

// ({ modules, nodes, numInputs, outputs }) → model handle. The graph rests in eval mode.
Napi::Value Create(const CallbackInfo& info) {
  if (!info[0].IsObject()) throw TypeErr(info.Env(), "modelCreate", "the graph must be an object");
  auto handle = std::make_unique<ModelHandle>();
  handle->model = std::make_shared<NativeModel>();
  handle->model->graph = BuildModuleGraph(info[0].As<Napi::Object>(), "build");
  handle->model->graph.SetTraining(false);
  return OwnedExternal(info.Env(), std::move(handle));
}

struct StateEntry {
  std::string name;
  at::Tensor value;
  bool isParameter;
};

// The parameters, then the buffers: copies when `copy` (the caller holds the model for reading),
// else detached aliases (for names and shapes).
std::vector<StateEntry> CollectState(NativeModel& m, bool copy) {
  std::vector<StateEntry> out;
  for (const auto& p : m.graph.NamedParameters()) out.push_back({p.key(), copy ? p.value().detach().clone() : p.value().detach(), true});
  for (const auto& b : m.graph.NamedBuffers()) out.push_back({b.key(), copy ? b.value().detach().clone() : b.value().detach(), false});
  return out;
}

// [[name, tensor, isParameter], ...]
Napi::Array EntriesArray(Napi::Env env, const std::vector<StateEntry>& entries) {
  Napi::Array out = Napi::Array::New(env, entries.size());
  for (uint32_t k = 0; k < entries.size(); ++k) {
    Napi::Array entry = Napi::Array::New(env, 3);
    entry.Set(0u, Napi::String::New(env, entries[k].name));
    entry.Set(1u, Wrap(env, entries[k].value));
    entry.Set(2u, Napi::Boolean::New(env, entries[k].isParameter));
    out.Set(k, entry);
  }
  return out;
}

// (model, op, copy) → state entries (see CollectState). Copies are one consistent snapshot, taken
// now or refused (naming `op`) while the model is busy; aliases serve names and shapes, which never
// change once the model is built, so they need no hold.
Napi::Value StateDict(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  std::string op = StringArg(info, 1);
  const bool copy = BoolArg(info, 2);
  Owner::Hold hold;
  if (copy) hold = m->owner.TryRead(op.c_str());
  return EntriesArray(info.Env(), CollectState(*m, copy));
}

// Copies values into the named parameters/buffers (shapes must match). The caller holds the
// model for writing; throws std errors (RangeError for unknown names and wrong shapes).
void CopyIntoState(NativeModel& m, const std::vector<std::string>& names, const std::vector<at::Tensor>& values) {
  if (names.size() != values.size()) {
    throw std::out_of_range(std::to_string(names.size()) + " weight names but " + std::to_string(values.size()) + " tensors");
  }
  auto params = m.graph.NamedParameters();
  auto buffers = m.graph.NamedBuffers();
  for (size_t i = 0; i < names.size(); ++i) {
    at::Tensor* target = params.find(names[i]);
    if (target == nullptr) target = buffers.find(names[i]);
    if (target == nullptr) throw std::out_of_range("unknown weight '" + names[i] + "'");
    if (target->sizes() != values[i].sizes()) {
      throw std::out_of_range("weight '" + names[i] + "' has shape " + c10::str(target->sizes()) + ", got " + c10::str(values[i].sizes()));
    }
  }
  torch::NoGradGuard noGrad;
  for (size_t i = 0; i < names.size(); ++i) {
    at::Tensor* target = params.find(names[i]);
    if (target == nullptr) target = buffers.find(names[i]);
    target->copy_(values[i]);
  }
}

std::vector<std::string> NamesArg(const CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw TypeErr(info.Env(), OpName(info), "weight names must be an array of strings");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<std::string> out;
  for (uint32_t k = 0; k < arr.Length(); ++k) out.push_back(arr.Get(k).ToString().Utf8Value());
  return out;
}

// (model, names[], tensors[], op) copies values into parameters/buffers now, or throws when the
// model is busy. Allowed from fit's epoch callbacks (restoring weights between two steps).
Napi::Value LoadState(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  std::vector<std::string> names = NamesArg(info, 1);
  std::vector<at::Tensor> values = TensorListArg(info, 2);
  std::string op = StringArg(info, 3);
  Owner::Hold hold = m->owner.TryWrite(op.c_str());
  CopyIntoState(*m, names, values);
  return info.Env().Undefined();
}

// LoadState off the event loop: waits its turn for the model (loadWeights, resuming a fit).
class LoadStateWorker : public PromiseWorker {
 public:
  LoadStateWorker(Napi::Env env, std::shared_ptr<NativeModel> m, std::vector<std::string> names, std::vector<at::Tensor> values)
      : PromiseWorker(env, "loadWeights"), m_(std::move(m)), names_(std::move(names)), values_(std::move(values)) { Uses(m_->owner, "loadWeights"); }

 protected:
  void Run() override {
    Owner::Hold hold = m_->owner.Write("loadWeights");
    CopyIntoState(*m_, names_, values_);
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<NativeModel> m_;
  std::vector<std::string> names_;
  std::vector<at::Tensor> values_;
};

// (model, names[], tensors[]) → Promise<void>
Napi::Value LoadStateAsync(const CallbackInfo& info) {
  return (new LoadStateWorker(info.Env(), ModelArg(info, 0), NamesArg(info, 1), TensorListArg(info, 2)))->Queue();
}

// A consistent copy of the weights (and, when asked, the optimizer state), taken off the event
// loop when the model is free: what save, saveWeights and saveCheckpoint write.
class SnapshotWorker : public PromiseWorker {
 public:
  SnapshotWorker(Napi::Env env, std::shared_ptr<NativeModel> m, bool withOptimizer)
      : PromiseWorker(env, "snapshot"), m_(std::move(m)), withOptimizer_(withOptimizer) { Uses(m_->owner, "save"); }

 protected:
  void Run() override {
    // The optimizer part applies a pending learning rate first, so it takes the write hold.
    Owner::Hold hold = withOptimizer_ ? m_->owner.Write("saveCheckpoint") : m_->owner.Read();
    if (withOptimizer_) {
      if (!m_->optimizer) throw std::logic_error("the model must be compiled first (call compile())");
      m_->ApplyLr();
      optimizer_ = SaveOptimizerState(*m_->optimizer);
      scaler_ = m_->scaler;
    }
    entries_ = CollectState(*m_, true);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("entries", EntriesArray(env, entries_));
    out.Set("optimizer", optimizer_.defined() ? Wrap(env, optimizer_) : env.Null());
    Napi::Value lossScale = env.Null();
    if (scaler_.enabled) {
      Napi::Object state = Napi::Object::New(env);
      state.Set("scale", scaler_.scale);
      state.Set("goodSteps", static_cast<double>(scaler_.goodSteps));
      lossScale = state;
    }
    out.Set("lossScale", lossScale);
    return out;
  }

 private:
  std::shared_ptr<NativeModel> m_;
  bool withOptimizer_;
  std::vector<StateEntry> entries_;
  at::Tensor optimizer_;
  LossScaler scaler_;  // with the optimizer: its state then (disabled otherwise)
};

// (model, withOptimizer) → Promise<{ entries: [name, tensor, isParameter][], optimizer: tensor | null,
//   lossScale: { scale, goodSteps } | null (with the optimizer, of a model trained with a loss scaler) }>
Napi::Value Snapshot(const CallbackInfo& info) {
  return (new SnapshotWorker(info.Env(), ModelArg(info, 0), BoolArg(info, 1)))->Queue();
}

// Moves the weights; refused while anything is in flight (work holds tensors on the old device).
Napi::Value To(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  at::Device device = DeviceArg(info, 1);
  m->owner.RequireIdle("to");
  Owner::Hold hold = m->owner.TryWrite("to");
  m->graph.To(device);
  m->device = device;
  std::atomic_store(&m->frozen, std::shared_ptr<const FrozenForward>());
  return info.Env().Undefined();
}

// The mode call() runs in; predictions and evaluation always run in eval mode, training in train mode.
Napi::Value SetTraining(const CallbackInfo& info) {
  ModelArg(info, 0)->userTraining = BoolArg(info, 1);
  return info.Env().Undefined();
}

// (model, x, channelsLast) → output, in eval mode without grad
Napi::Value PredictSync(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  std::vector<at::Tensor> xs = TensorsArg(info, 1);
  const bool channelsLast = BoolArg(info, 2);
  Owner::Hold hold = m->owner.TryRead("predictSync");
  std::vector<at::Tensor> out = PredictForward(*m, xs, channelsLast);
  for (auto& t : out) t = OrdinaryTensor(t);
  return WrapOutputs(info.Env(), out);
}

// (model, x | x[]) → output(s) with autograd, in the mode set by train()/eval() (like calling a
// PyTorch module). Training mode switches the graph's mode, so it holds the model for writing.
Napi::Value Call(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  RefuseDuringSession(info, *m, "call");
  std::vector<at::Tensor> xs = TensorsArg(info, 1);
  const bool training = m->userTraining.load();
  Owner::Hold hold = training ? m->owner.TryWrite("call") : m->owner.TryRead("call");
  ModeGuard mode(*m, training);
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

// (model, { optimizer, loss | loss[], lossWeights?, metrics, fuse: bool[], outputNames, clipNorm, clipValue, mixedPrecision, lossScale })
Napi::Value Compile(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  if (!info[1].IsObject()) throw TypeErr(info.Env(), "compile", "options must be an object");
  SpecReader s(info[1].As<Napi::Object>(), "compile", "options");
  // Running work reads the compile state (optimizer, losses, metrics): it must all have ended.
  m->owner.RequireIdle("compile");
  Owner::Hold hold = m->owner.TryWrite("compile");
  m->optimizer = MakeOptimizer(s.Object("optimizer"), m->Parameters(), "compile");
  m->lr = GetLr(*m->optimizer);
  m->lrChanged = false;
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
  m->precision = ReadPrecision(s.Raw("mixedPrecision"), "compile");
  m->scaler = ReadLossScaler(s.Raw("lossScale"), m->precision, "compile");
  m->compiled = true;
  return info.Env().Undefined();
}

Napi::Value GetLearningRate(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  if (!m->optimizer) throw PlainErr(info.Env(), "getLearningRate", "the model is not compiled");
  return Napi::Number::New(info.Env(), m->lr.load());
}

Napi::Value SetLearningRate(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  if (!m->optimizer) throw PlainErr(info.Env(), "setLearningRate", "the model is not compiled");
  double lr = NumberArg(info, 1);
  if (!(lr >= 0)) throw RangeErr(info.Env(), "setLearningRate", "learning rate must be >= 0, got " + std::to_string(lr));
  m->RequestLr(lr);
  return info.Env().Undefined();
}

Napi::Value StopFit(const CallbackInfo& info) {
  ModelArg(info, 0)->stopRequested = true;
  return info.Env().Undefined();
}

// Drops the handle's reference to the native model (its memory goes once async work holding it ends).
Napi::Value Dispose(const CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  RefuseDuringSession(info, *m, "dispose");
  ExternalOf<ModelHandle>(info.Env(), info[0], "dispose", "a model")->model.reset();
  return info.Env().Undefined();
}

const OpSpec kModelOps[] = {
    {"modelCreate", Create},
    {"modelStateDict", StateDict},
    {"modelLoadState", LoadState},
    {"modelLoadStateAsync", LoadStateAsync},
    {"modelSnapshot", Snapshot},
    {"modelTo", To},
    {"modelSetTraining", SetTraining},
    {"modelPredictSync", PredictSync},
    {"modelCall", Call},
    {"modelCompile", Compile},
    {"modelGetLearningRate", GetLearningRate},
    {"modelSetLearningRate", SetLearningRate},
    {"modelStopFit", StopFit},
    {"modelDispose", Dispose},
};

}  // namespace

std::shared_ptr<NativeModel> ModelArg(const Napi::CallbackInfo& info, size_t i) {
  std::shared_ptr<NativeModel> model = ExternalOf<ModelHandle>(info.Env(), info[i], OpName(info), "a model")->model;
  if (!model) throw PlainErr(info.Env(), OpName(info), "the model was disposed");
  return model;
}

std::vector<at::Tensor> PredictForward(NativeModel& model, const std::vector<at::Tensor>& xs, bool channelsLast) {
  c10::InferenceMode inference;
  std::vector<at::Tensor> in = ToDevice(xs, model.device);
  if (channelsLast) {
    for (auto& t : in) {
      if (t.dim() == 4) t = t.contiguous(at::MemoryFormat::ChannelsLast);
    }
  }
  if (auto frozen = CurrentFrozen(model)) return frozen->Run(in);
  // The graph rests in eval mode; it is in train mode only under a writer's hold (or a loan of
  // it to JS, which may switch it for this call because the writer is waiting).
  ModeGuard mode(model, false);
  return model.graph.Run(in);
}

at::Tensor OrdinaryTensor(const at::Tensor& t) {
  return t.is_inference() || !t.is_contiguous() ? t.clone(at::MemoryFormat::Contiguous) : t;
}

void RefuseDuringSession(const Napi::CallbackInfo& info, NativeModel& m, const char* op) {
  const char* session = m.owner.Session();
  if (session != nullptr) throw PlainErr(info.Env(), op, std::string("the model is being trained by ") + session + "; wait for it to finish");
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
