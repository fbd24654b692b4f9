// trainer.cc — native training and inference: TrainStep, batched evaluate/predict, and the fit()
// loop on a worker thread that reports to JS through a thread-safe function (blocking at epoch
// boundaries so JS callbacks can stop training or change the learning rate, non-blocking per batch).
#include "trainer.h"

#include <cmath>
#include <future>

#include "args.h"
#include "async.h"
#include "spec_reader.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

using Logs = std::vector<std::pair<std::string, double>>;

// Sets train/eval mode for a scope and restores the previous mode.
class ModeGuard {
 public:
  ModeGuard(NativeModel& m, bool training) : m_(m), was_(m.graph.IsTraining()) { m_.graph.SetTraining(training); }
  ~ModeGuard() { m_.graph.SetTraining(was_); }

 private:
  NativeModel& m_;
  bool was_;
};

int64_t TrainableEnd(const NativeModel& m) { return static_cast<int64_t>(m.graph.net->size()) - m.fusedTail; }

// The model's final outputs from the logits the training forward stops at.
at::Tensor ApplyTail(NativeModel& m, const at::Tensor& logits) {
  return m.fusedTail == 0 ? logits : m.graph.Forward(logits, TrainableEnd(m));
}

void RequireCompiled(const NativeModel& m, const char* op) {
  if (!m.compiled) throw std::logic_error(std::string("the model must be compiled first (call compile())"));
}

// The batch loss: the compiled one, or the JS loss of a model compiled with one.
at::Tensor BatchLoss(const NativeModel& m, const at::Tensor& logits, const at::Tensor& target, const at::Tensor& classWeight,
                     const LossFn* customLoss) {
  if (!m.customLoss) return ComputeLoss(m.loss, logits, target, classWeight);
  if (customLoss == nullptr) throw std::logic_error("the model was compiled with a custom loss, but none was passed");
  if (classWeight.defined()) throw std::invalid_argument("classWeight is not supported with a custom loss");
  return (*customLoss)(logits, target);
}

struct EvalResult {
  double loss = 0;
  Logs metrics;
};

EvalResult Evaluate(NativeModel& m, const at::Tensor& x, const at::Tensor& y, int64_t batchSize, const LossFn* customLoss) {
  MetricState metrics(&m.metrics);
  double lossSum = 0;
  int64_t seen = 0;
  int64_t n = x.size(0);
  TORCH_CHECK(y.size(0) == n, "x has ", n, " samples but y has ", y.size(0));
  for (int64_t start = 0; start < n; start += batchSize) {
    int64_t len = std::min(batchSize, n - start);
    at::Tensor xb = x.narrow(0, start, len).to(m.device);
    at::Tensor yb = y.narrow(0, start, len).to(m.device);
    std::lock_guard<std::mutex> lock(m.mutex);
    torch::NoGradGuard noGrad;
    ModeGuard mode(m, false);
    at::Tensor logits = m.graph.Forward(xb, 0, TrainableEnd(m));
    at::Tensor loss = BatchLoss(m, logits, yb, at::Tensor(), customLoss);
    at::Tensor penalty = m.graph.Penalty();
    if (penalty.defined()) loss = loss + penalty;
    lossSum += loss.item<double>() * static_cast<double>(len);
    seen += len;
    metrics.Update(ApplyTail(m, logits), yb);
  }
  return {seen > 0 ? lossSum / static_cast<double>(seen) : 0.0, metrics.Values()};
}

Napi::Object LogsObject(Napi::Env env, const Logs& logs) {
  Napi::Object out = Napi::Object::New(env);
  for (const auto& kv : logs) out.Set(kv.first, Napi::Number::New(env, kv.second));
  return out;
}

at::Tensor OptionalTensor(const Napi::CallbackInfo& info, size_t i) {
  auto t = OptTensorArg(info, i);
  return t ? *t : at::Tensor();
}

// ---- predict / evaluate / trainOnBatch workers ---------------------------------------------

class PredictWorker : public PromiseWorker {
 public:
  PredictWorker(Napi::Env env, std::shared_ptr<NativeModel> m, at::Tensor x, int64_t batchSize)
      : PromiseWorker(env, "predict"), m_(std::move(m)), x_(std::move(x)), batchSize_(batchSize) {}

 protected:
  void Run() override {
    std::vector<at::Tensor> parts;
    int64_t n = x_.size(0);
    for (int64_t start = 0; start < n; start += batchSize_) {
      parts.push_back(PredictForward(*m_, x_.narrow(0, start, std::min(batchSize_, n - start))));
    }
    out_ = parts.size() == 1 ? parts[0] : at::cat(parts, 0);
  }
  Napi::Value Result(Napi::Env env) override { return Wrap(env, out_); }

 private:
  std::shared_ptr<NativeModel> m_;
  at::Tensor x_, out_;
  int64_t batchSize_;
};

// Owns the JS-loss bridge of a worker (if the call passed a custom loss) and releases it.
class CustomLossSlot {
 public:
  CustomLossSlot(Napi::Env env, Napi::Value fn) {
    if (fn.IsFunction()) {
      bridge_ = std::make_unique<JsLossBridge>(env, fn.As<Napi::Function>());
      fn_ = bridge_->Fn();
    }
  }
  ~CustomLossSlot() { Release(); }
  const LossFn* get() const { return bridge_ ? &fn_ : nullptr; }
  void Release() {
    if (bridge_) bridge_->Release();
    bridge_.reset();
  }

 private:
  std::unique_ptr<JsLossBridge> bridge_;
  LossFn fn_;
};

class EvaluateWorker : public PromiseWorker {
 public:
  EvaluateWorker(Napi::Env env, std::shared_ptr<NativeModel> m, at::Tensor x, at::Tensor y, int64_t batchSize, Napi::Value lossFn)
      : PromiseWorker(env, "evaluate"), m_(std::move(m)), x_(std::move(x)), y_(std::move(y)), batchSize_(batchSize), loss_(env, lossFn) {}

 protected:
  void Run() override {
    RequireCompiled(*m_, "evaluate");
    result_ = Evaluate(*m_, x_, y_, batchSize_, loss_.get());
    loss_.Release();
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object out = LogsObject(env, result_.metrics);
    out.Set("loss", result_.loss);
    return out;
  }

 private:
  std::shared_ptr<NativeModel> m_;
  at::Tensor x_, y_;
  int64_t batchSize_;
  CustomLossSlot loss_;
  EvalResult result_;
};

Logs StepLogs(NativeModel& m, const at::Tensor& x, const at::Tensor& y, const at::Tensor& classWeight, const LossFn* customLoss) {
  MetricState metrics(&m.metrics);
  double loss = TrainStep(m, x, y, classWeight, &metrics, customLoss);
  Logs logs{{"loss", loss}};
  for (const auto& kv : metrics.Values()) logs.push_back(kv);
  return logs;
}

class TrainOnBatchWorker : public PromiseWorker {
 public:
  TrainOnBatchWorker(Napi::Env env, std::shared_ptr<NativeModel> m, at::Tensor x, at::Tensor y, at::Tensor classWeight, Napi::Value lossFn)
      : PromiseWorker(env, "trainOnBatch"), m_(std::move(m)), x_(std::move(x)), y_(std::move(y)), classWeight_(std::move(classWeight)),
        loss_(env, lossFn) {}

 protected:
  void Run() override {
    logs_ = StepLogs(*m_, x_, y_, classWeight_, loss_.get());
    loss_.Release();
  }
  Napi::Value Result(Napi::Env env) override { return LogsObject(env, logs_); }

 private:
  std::shared_ptr<NativeModel> m_;
  at::Tensor x_, y_, classWeight_;
  CustomLossSlot loss_;
  Logs logs_;
};

// ---- fit ----------------------------------------------------------------------------------

struct FitOptions {
  at::Tensor x, y, valX, valY, classWeight;
  int64_t epochs = 1;
  int64_t initialEpoch = 0;
  int64_t batchSize = 32;
  int64_t stepsPerEpoch = 0;
  bool shuffle = true;
  bool batchLogs = false;
  bool terminateOnNaN = false;
  bool hasSchedule = false;
  LrSchedule schedule;
  double baseLr = -1;  // the lr schedules start from (< 0: the optimizer's lr when fit starts)
};

struct FitEvent {
  const char* type;
  int64_t index;
  Logs logs;
  std::shared_ptr<std::promise<bool>> reply;  // set for blocking events: resolves to "stop training"
};

class FitWorker : public PromiseWorker {
 public:
  FitWorker(Napi::Env env, std::shared_ptr<NativeModel> m, FitOptions options, Napi::Function onEvent, Napi::Value lossFn)
      : PromiseWorker(env, "fit"), m_(std::move(m)), o_(std::move(options)), loss_(env, lossFn) {
    tsfn_ = Napi::ThreadSafeFunction::New(env, onEvent, "nodetorch.fit", 0, 1);
  }

 protected:
  void Run() override {
    struct Finish {
      FitWorker* w;
      ~Finish() {
        w->m_->fitting = false;
        w->tsfn_.Release();
        w->loss_.Release();
      }
    } finish{this};
    NativeModel& m = *m_;
    RequireCompiled(m, "fit");
    const int64_t n = o_.x.size(0);
    TORCH_CHECK(o_.y.size(0) == n, "x has ", n, " samples but y has ", o_.y.size(0));
    TORCH_CHECK(n > 0, "no training samples");
    int64_t steps = (n + o_.batchSize - 1) / o_.batchSize;
    if (o_.stepsPerEpoch > 0) steps = std::min(steps, o_.stepsPerEpoch);
    const double baseLr = o_.baseLr >= 0 ? o_.baseLr : GetLr(*m.optimizer);
    int64_t globalStep = o_.initialEpoch * steps;
    MetricState metrics(&m.metrics);
    bool stop = false;
    for (int64_t epoch = o_.initialEpoch; epoch < o_.epochs && !stop; ++epoch) {
      if (o_.hasSchedule && !o_.schedule.perBatch) SetLr(*m.optimizer, o_.schedule.LrAt(baseLr, epoch));
      if (Emit("epochBegin", epoch, {}, true)) break;
      at::Tensor perm = o_.shuffle ? at::randperm(n, at::TensorOptions().dtype(at::kLong).device(o_.x.device())) : at::Tensor();
      metrics.Reset();
      double lossSum = 0;
      int64_t seen = 0;
      for (int64_t b = 0; b < steps; ++b) {
        if (m.stopRequested.load()) {
          stop = true;
          break;
        }
        if (o_.hasSchedule && o_.schedule.perBatch) SetLr(*m.optimizer, o_.schedule.LrAt(baseLr, globalStep));
        int64_t start = b * o_.batchSize;
        int64_t len = std::min(o_.batchSize, n - start);
        at::Tensor xb, yb;
        if (perm.defined()) {
          at::Tensor idx = perm.narrow(0, start, len);
          xb = o_.x.index_select(0, idx);
          yb = o_.y.index_select(0, idx.to(o_.y.device()));
        } else {
          xb = o_.x.narrow(0, start, len);
          yb = o_.y.narrow(0, start, len);
        }
        double loss = TrainStep(m, xb.to(m.device), yb.to(m.device), o_.classWeight, &metrics, loss_.get());
        lossSum += loss * static_cast<double>(len);
        seen += len;
        ++globalStep;
        if (o_.batchLogs) {
          Logs logs{{"loss", lossSum / static_cast<double>(seen)}, {"size", static_cast<double>(len)}};
          for (const auto& kv : metrics.Values()) logs.push_back(kv);
          Emit("batchEnd", b, std::move(logs), false);
        }
        if (o_.terminateOnNaN && !std::isfinite(loss)) {
          stoppedOnNaN_ = true;
          stop = true;
          break;
        }
      }
      Logs logs{{"loss", seen > 0 ? lossSum / static_cast<double>(seen) : NAN}};
      for (const auto& kv : metrics.Values()) logs.push_back(kv);
      if (o_.valX.defined() && !stoppedOnNaN_) {
        EvalResult val = Evaluate(m, o_.valX, o_.valY, o_.batchSize, loss_.get());
        logs.emplace_back("val_loss", val.loss);
        for (const auto& kv : val.metrics) logs.emplace_back("val_" + kv.first, kv.second);
      }
      logs.emplace_back("lr", GetLr(*m.optimizer));
      ++epochsRun_;
      if (Emit("epochEnd", epoch, std::move(logs), true)) stop = true;
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("epochsRun", static_cast<double>(epochsRun_));
    out.Set("stoppedOnNaN", stoppedOnNaN_);
    return out;
  }

 private:
  // Sends an event to JS; for blocking events waits until JS answers and returns "stop".
  bool Emit(const char* type, int64_t index, Logs logs, bool blocking) {
    auto* event = new FitEvent{type, index, std::move(logs), blocking ? std::make_shared<std::promise<bool>>() : nullptr};
    std::shared_ptr<std::promise<bool>> reply = event->reply;
    napi_status status = tsfn_.BlockingCall(event, [](Napi::Env env, Napi::Function fn, FitEvent* e) {
      std::unique_ptr<FitEvent> owned(e);
      if (env == nullptr) {  // environment shutting down
        if (e->reply) e->reply->set_value(true);
        return;
      }
      Napi::Value done = env.Undefined();
      if (e->reply) {
        auto replied = std::make_shared<bool>(false);
        auto promise = e->reply;
        done = Napi::Function::New(env, [promise, replied](const Napi::CallbackInfo& info) {
          if (!*replied) {
            *replied = true;
            promise->set_value(info[0].ToBoolean().Value());
          }
        });
      }
      try {
        fn.Call({Napi::String::New(env, e->type), Napi::Number::New(env, static_cast<double>(e->index)), LogsObject(env, e->logs), done});
      } catch (...) {
        if (e->reply) {
          try {
            e->reply->set_value(true);
          } catch (const std::future_error&) {
          }
        }
      }
    });
    if (status != napi_ok) {
      if (blocking) return true;
      delete event;
      return false;
    }
    return blocking ? reply->get_future().get() : false;
  }

  std::shared_ptr<NativeModel> m_;
  FitOptions o_;
  Napi::ThreadSafeFunction tsfn_;
  CustomLossSlot loss_;
  int64_t epochsRun_ = 0;
  bool stoppedOnNaN_ = false;
};

// Marks the model as fitting (refusing a second fit or trainOnBatch) from the main thread.
void BeginExclusive(const Napi::CallbackInfo& info, NativeModel& m) {
  bool expected = false;
  if (!m.fitting.compare_exchange_strong(expected, true)) {
    throw PlainErr(info.Env(), "fit", "the model is already being trained by fit(); wait for it to finish");
  }
}

Napi::Value Fit(const Napi::CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  if (!m->compiled) throw PlainErr(info.Env(), "fit", "the model must be compiled first (call compile())");
  SpecReader s(info[1].As<Napi::Object>(), "fit", "options");
  FitOptions o;
  auto tensorField = [&](const char* key) -> at::Tensor {
    if (!s.Has(key)) return at::Tensor();
    return Unwrap(info.Env(), "fit", s.Raw(key));
  };
  o.x = tensorField("x");
  o.y = tensorField("y");
  if (!o.x.defined() || !o.y.defined()) throw TypeErr(info.Env(), "fit", "x and y must be tensors");
  o.valX = tensorField("valX");
  o.valY = tensorField("valY");
  o.classWeight = tensorField("classWeight");
  o.epochs = s.Int("epochs", 1);
  o.initialEpoch = s.Int("initialEpoch", 0);
  o.batchSize = s.Int("batchSize", 32);
  o.stepsPerEpoch = s.Int("stepsPerEpoch", 0);
  o.shuffle = s.Bool("shuffle", true);
  o.batchLogs = s.Bool("batchLogs", false);
  o.terminateOnNaN = s.Bool("terminateOnNaN", false);
  o.baseLr = s.Number("baseLr", -1);
  if (s.Has("lrSchedule")) {
    o.hasSchedule = true;
    o.schedule = ReadLrSchedule(s.Object("lrSchedule"), "fit");
  }
  if (o.batchSize < 1) throw RangeErr(info.Env(), "fit", "batchSize must be >= 1");
  if (!info[2].IsFunction()) throw TypeErr(info.Env(), "fit", "onEvent must be a function");
  BeginExclusive(info, *m);
  m->stopRequested = false;
  FitWorker* worker;
  try {
    worker = new FitWorker(info.Env(), m, std::move(o), info[2].As<Napi::Function>(), info[3]);
  } catch (...) {
    m->fitting = false;
    throw;
  }
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

int64_t BatchSizeArg(const Napi::CallbackInfo& info, size_t i) {
  int64_t b = IsNullish(info[i]) ? 32 : IntArg(info, i);
  if (b < 1) throw RangeErr(info.Env(), OpName(info), "batchSize must be >= 1");
  return b;
}

const OpSpec kTrainerOps[] = {
    // (model, x, batchSize) → Promise<Tensor>
    {"modelPredict",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto* w = new PredictWorker(i.Env(), ModelArg(i, 0), TensorArg(i, 1), BatchSizeArg(i, 2));
       Napi::Promise p = w->Promise();
       w->Queue();
       return p;
     }},
    // (model, x, y, batchSize, customLoss?) → Promise<logs>
    {"modelEvaluate",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto* w = new EvaluateWorker(i.Env(), ModelArg(i, 0), TensorArg(i, 1), TensorArg(i, 2), BatchSizeArg(i, 3), i[4]);
       Napi::Promise p = w->Promise();
       w->Queue();
       return p;
     }},
    // (model, x, y, classWeight | null, customLoss?) → Promise<logs>
    {"modelTrainOnBatch",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto m = ModelArg(i, 0);
       if (m->fitting.load()) throw PlainErr(i.Env(), "trainOnBatch", "the model is being trained by fit(); wait for it to finish");
       auto* w = new TrainOnBatchWorker(i.Env(), m, TensorArg(i, 1), TensorArg(i, 2), OptionalTensor(i, 3), i[4]);
       Napi::Promise p = w->Promise();
       w->Queue();
       return p;
     }},
    // (model, x, y, classWeight | null, customLoss?) → logs, on the calling thread
    {"modelTrainOnBatchSync",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto m = ModelArg(i, 0);
       if (m->fitting.load()) throw PlainErr(i.Env(), "trainOnBatch", "the model is being trained by fit(); wait for it to finish");
       if (!m->compiled) throw PlainErr(i.Env(), "trainOnBatch", "the model must be compiled first (call compile())");
       LossFn custom;
       if (i[4].IsFunction()) {
         Napi::Env env = i.Env();
         Napi::Function fn = i[4].As<Napi::Function>();
         custom = [env, fn](const at::Tensor& pred, const at::Tensor& target) { return CallJsLoss(env, fn, pred, target); };
       }
       return LogsObject(i.Env(), StepLogs(*m, TensorArg(i, 1), TensorArg(i, 2), OptionalTensor(i, 3), custom ? &custom : nullptr));
     }},
    {"modelFit", Fit},
};

}  // namespace

double TrainStep(NativeModel& m, const at::Tensor& x, const at::Tensor& y, const at::Tensor& classWeight, MetricState* metrics,
                 const LossFn* customLoss) {
  RequireCompiled(m, "trainOnBatch");
  std::lock_guard<std::mutex> lock(m.mutex);
  ModeGuard mode(m, true);
  m.optimizer->zero_grad();
  at::Tensor logits = m.graph.Forward(x.to(m.device), 0, TrainableEnd(m));
  at::Tensor target = y.to(m.device);
  at::Tensor loss = BatchLoss(m, logits, target, classWeight, customLoss);
  at::Tensor penalty = m.graph.Penalty();
  if (penalty.defined()) loss = loss + penalty;
  loss.backward();
  if (m.clip.norm > 0 || m.clip.value > 0) m.clip.Apply(m.Parameters());
  m.optimizer->step();
  if (metrics != nullptr && !m.metrics.empty()) {
    torch::NoGradGuard noGrad;
    metrics->Update(ApplyTail(m, logits.detach()), target);
  }
  return loss.item<double>();
}

void RegisterTrainer(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kTrainerOps); }

}  // namespace nt
