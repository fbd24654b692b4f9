// trainer.cc — native training and inference: TrainStep, batched evaluate/predict, and the fit()
// loop on a worker thread that reports to JS through a thread-safe function (blocking at epoch
// boundaries so JS callbacks can stop training or change the learning rate, non-blocking per batch).
// Each step holds the model for writing and each evaluate/predict batch for reading (ownership.h);
// a JS loss runs while the step lends the model to the JS thread for reads.
#include "trainer.h"

#include <cmath>

#include "args.h"
#include "async.h"
#include "dataset.h"
#include "spec_reader.h"
#include "shard.h"
#include "tensor_batch_source.h"
#include "training_events.h"
#include "tensor_wrap.h"

namespace nt {
namespace {


using Tensors = std::vector<at::Tensor>;

void RequireCompiled(const NativeModel& m, const char* op) {
  if (!m.compiled) throw std::logic_error(std::string("the model must be compiled first (call compile())"));
}

// Checks a batch has one tensor per model input (and, when `labeled`, per output).
void CheckBatch(const NativeModel& m, const Tensors& xs, const Tensors& ys, bool labeled) {
  TORCH_CHECK(static_cast<int>(xs.size()) == m.graph.numInputs, "the model takes ", m.graph.numInputs, " input(s), got ", xs.size());
  if (labeled) TORCH_CHECK(ys.size() == m.graph.outputs.size(), "the model has ", m.graph.outputs.size(), " output(s), got ", ys.size(), " target(s)");
}

// The batch loss: the weighted sum of the compiled per-output losses, or the JS loss of a model
// compiled with one; plus the weight penalties.
at::Tensor BatchLoss(NativeModel& m, const Tensors& logits, const Tensors& targets, const at::Tensor& classWeight, const LossFn* customLoss) {
  at::Tensor loss;
  if (m.customLoss) {
    if (customLoss == nullptr) throw std::logic_error("the model was compiled with a custom loss, but none was passed");
    if (classWeight.defined()) throw std::invalid_argument("classWeight is not supported with a custom loss");
    loss = (*customLoss)(logits[0], targets[0]);  // lends the model to the JS thread meanwhile
  } else {
    if (classWeight.defined() && logits.size() > 1) throw std::invalid_argument("classWeight needs a model with one output");
    for (size_t k = 0; k < logits.size(); ++k) {
      at::Tensor term = ComputeLoss(m.losses[k], logits[k], targets[k], classWeight);
      if (m.lossWeights[k] != 1.0) term = term * m.lossWeights[k];
      loss = loss.defined() ? loss + term : term;
    }
  }
  at::Tensor penalty = m.graph.Penalty();
  return penalty.defined() ? loss + penalty : loss;
}

// Metrics of every output (keys prefixed with the output's name when there are several).
class OutputMetrics {
 public:
  explicit OutputMetrics(NativeModel& m) : m_(m) {
    for (size_t k = 0; k < m.graph.outputs.size(); ++k) states_.emplace_back(&m.metrics);
  }
  void Reset() {
    for (auto& s : states_) s.Reset();
  }
  // Updates from the training forward's outputs (applies fused final activations first).
  void Update(const Tensors& logits, const Tensors& targets) {
    if (m_.metrics.empty()) return;
    torch::NoGradGuard noGrad;
    for (size_t k = 0; k < states_.size(); ++k) states_[k].Update(m_.graph.ApplyTail(k, logits[k].detach()), targets[k]);
  }
  Logs Values() const {
    Logs out;
    for (size_t k = 0; k < states_.size(); ++k) {
      std::string prefix = states_.size() > 1 ? m_.outputNames[k] + "_" : "";
      for (const auto& kv : states_[k].Values()) out.emplace_back(prefix + kv.first, kv.second);
    }
    return out;
  }

 private:
  NativeModel& m_;
  std::vector<MetricState> states_;
};

// Where a training step runs: on a native thread it waits for the model; on the JS thread it
// takes the model now or throws (naming `op`).
struct StepCaller {
  const char* op;
  bool onJsThread;
};

at::Tensor TrainStep(NativeModel& m, const Tensors& x, const Tensors& y, const at::Tensor& classWeight, OutputMetrics* metrics,
                     const LossFn* customLoss, StepCaller caller);

// Logs the current loss scale of a model trained with one (the same on every data-parallel rank).
void AddLossScale(const NativeModel& m, Logs& logs) {
  if (m.scaler.enabled) logs.emplace_back("lossScale", m.scaler.scale);
}

struct EvalResult {
  double loss = 0;
  Logs metrics;
};

EvalResult Evaluate(NativeModel& m, BatchSource& source, const LossFn* customLoss) {
  OutputMetrics metrics(m);
  LossSum lossSum;
  source.BeginEpoch(0);
  Batch batch;
  while (source.Next(batch)) {
    CheckBatch(m, batch.x, batch.y, true);
    Tensors xb = ToDevice(batch.x, m.device);
    Tensors yb = ToDevice(batch.y, m.device);
    Owner::Hold hold = m.owner.Read();
    // Built-in losses run in inference mode; a JS loss is handed tensors it may use as it likes.
    c10::InferenceMode inference(customLoss == nullptr);
    torch::NoGradGuard noGrad;
    ModeGuard mode(m, false);
    Tensors logits = m.graph.RunLogits(xb);
    lossSum.Add(BatchLoss(m, logits, yb, at::Tensor(), customLoss), batch.size);
    metrics.Update(logits, yb);
  }
  if (lossSum.Samples() == 0) throw std::out_of_range("no samples to evaluate");
  return {lossSum.Mean(), metrics.Values()};
}


at::Tensor OptionalTensor(const Napi::CallbackInfo& info, size_t i) {
  auto t = OptTensorArg(info, i);
  return t ? *t : at::Tensor();
}

// ---- predict / evaluate / trainOnBatch workers ---------------------------------------------

class PredictWorker : public PromiseWorker {
 public:
  PredictWorker(Napi::Env env, std::shared_ptr<NativeModel> m, std::shared_ptr<BatchSource> source, bool channelsLast)
      : PromiseWorker(env, "predict"), m_(std::move(m)), source_(std::move(source)), channelsLast_(channelsLast) { Uses(m_->owner, "predict"); }

 protected:
  void Run() override {
    std::vector<Tensors> parts(m_->graph.outputs.size());
    source_->BeginEpoch(0);
    Batch batch;
    while (source_->Next(batch)) {
      CheckBatch(*m_, batch.x, batch.y, false);
      Owner::Hold hold = m_->owner.Read();
      Tensors out = PredictForward(*m_, batch.x, channelsLast_);
      for (size_t k = 0; k < out.size(); ++k) parts[k].push_back(std::move(out[k]));
    }
    for (auto& p : parts) {
      TORCH_CHECK(!p.empty(), "no samples to predict");
      out_.push_back(OrdinaryTensor(p.size() == 1 ? p[0] : at::cat(p, 0)));
    }
  }
  Napi::Value Result(Napi::Env env) override { return WrapOutputs(env, out_); }
  void Cancel() override { source_->Cancel(); }

 private:
  std::shared_ptr<NativeModel> m_;
  std::shared_ptr<BatchSource> source_;
  bool channelsLast_;
  Tensors out_;
};

// Owns the JS-loss bridge of a worker (if the call passed a custom loss).
class CustomLossSlot {
 public:
  CustomLossSlot(Napi::Env env, Napi::Value fn, const std::shared_ptr<NativeModel>& m) {
    if (fn.IsFunction()) {
      bridge_ = std::make_unique<JsLossBridge>(env, fn.As<Napi::Function>(), std::shared_ptr<Owner>(m, &m->owner));
      fn_ = bridge_->Fn();
    }
  }
  const LossFn* get() const { return bridge_ ? &fn_ : nullptr; }
  void Abandon() {
    if (bridge_) bridge_->Abandon();
  }

 private:
  std::unique_ptr<JsLossBridge> bridge_;
  LossFn fn_;
};

class EvaluateWorker : public PromiseWorker {
 public:
  EvaluateWorker(Napi::Env env, std::shared_ptr<NativeModel> m, std::shared_ptr<BatchSource> source, Napi::Value lossFn)
      : PromiseWorker(env, "evaluate"), m_(std::move(m)), source_(std::move(source)), loss_(env, lossFn, m_) { Uses(m_->owner, "evaluate"); }

 protected:
  void Run() override {
    RequireCompiled(*m_, "evaluate");
    result_ = Evaluate(*m_, *source_, loss_.get());
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object out = LogsObject(env, result_.metrics);
    out.Set("loss", result_.loss);
    return out;
  }

  void Cancel() override {
    source_->Cancel();
    loss_.Abandon();
  }

 private:
  std::shared_ptr<NativeModel> m_;
  std::shared_ptr<BatchSource> source_;
  CustomLossSlot loss_;
  EvalResult result_;
};

Logs StepLogs(NativeModel& m, const Tensors& x, const Tensors& y, const at::Tensor& classWeight, const LossFn* customLoss, StepCaller caller) {
  OutputMetrics metrics(m);
  double loss = TrainStep(m, x, y, classWeight, &metrics, customLoss, caller).item<double>();
  Logs logs{{"loss", loss}};
  for (const auto& kv : metrics.Values()) logs.push_back(kv);
  AddLossScale(m, logs);
  return logs;
}

class TrainOnBatchWorker : public PromiseWorker {
 public:
  TrainOnBatchWorker(Napi::Env env, std::shared_ptr<NativeModel> m, Tensors x, Tensors y, at::Tensor classWeight, Napi::Value lossFn)
      : PromiseWorker(env, "trainOnBatch"), m_(std::move(m)), x_(std::move(x)), y_(std::move(y)),
        classWeight_(std::move(classWeight)), loss_(env, lossFn, m_) { Uses(m_->owner, "trainOnBatch"); }

 protected:
  void Run() override { logs_ = StepLogs(*m_, x_, y_, classWeight_, loss_.get(), {"trainOnBatch", false}); }
  Napi::Value Result(Napi::Env env) override { return LogsObject(env, logs_); }

 private:
  std::shared_ptr<NativeModel> m_;
  Tensors x_, y_;
  at::Tensor classWeight_;
  CustomLossSlot loss_;
  Logs logs_;
};

// ---- fit ----------------------------------------------------------------------------------

struct FitOptions {
  std::shared_ptr<BatchSource> train, validation;  // validation may be null
  at::Tensor classWeight;
  int64_t epochs = 1;
  int64_t initialEpoch = 0;
  int64_t stepsPerEpoch = 0;
  bool batchLogs = false;
  double batchLogsEveryMs = 0;  // > 0: at most one batchEnd event per this many ms (a progress bar's reads)
  bool terminateOnNaN = false;
  bool hasSchedule = false;
  LrSchedule schedule;
  double baseLr = -1;  // the lr schedules start from (< 0: the optimizer's lr when fit starts)
};


class FitWorker : public PromiseWorker {
 public:
  FitWorker(Napi::Env env, std::shared_ptr<NativeModel> m, FitOptions options, Napi::Function onEvent, Napi::Value lossFn)
      : PromiseWorker(env, "fit"), m_(std::move(m)), o_(std::move(options)), events_(env, onEvent, "nodetorch.fit"),
        loss_(env, lossFn, m_) { Uses(m_->owner, "fit()"); }

 protected:
  void Run() override {
    struct Finish {
      FitWorker* w;
      ~Finish() { w->m_->owner.EndSession(); }
    } finish{this};
    NativeModel& m = *m_;
    RequireCompiled(m, "fit");
    const double baseLr = o_.baseLr >= 0 ? o_.baseLr : m.lr.load();
    int64_t globalStep = -1;  // set from the first epoch's length (schedules per batch resume from it)
    OutputMetrics metrics(m);
    BatchLogClock batchLogClock(o_.batchLogsEveryMs);
    bool stop = false;
    for (int64_t epoch = o_.initialEpoch; epoch < o_.epochs && !stop; ++epoch) {
      if (o_.hasSchedule && !o_.schedule.perBatch) m.RequestLr(o_.schedule.LrAt(baseLr, epoch));
      bool stopAtBegin = Emit("epochBegin", epoch, {}, true);
      if (m.dataParallel) stopAtBegin = m.dataParallel->Any(stopAtBegin);
      if (stopAtBegin) break;
      int64_t steps = o_.train->BeginEpoch(epoch);
      if (o_.stepsPerEpoch > 0) steps = steps < 0 ? o_.stepsPerEpoch : std::min(steps, o_.stepsPerEpoch);
      if (globalStep < 0) globalStep = o_.initialEpoch * std::max<int64_t>(steps, 0);
      metrics.Reset();
      LossSum lossSum;
      Batch batch;
      for (int64_t b = 0; steps < 0 || b < steps; ++b) {
        // A data-parallel rank stops only with all the others (a rank that left would hang them).
        if (StopBeforeBatch(m.dataParallel.get(), b, m.stopRequested.load() || stoppedOnNaN_)) {
          stop = true;
          break;
        }
        if (!o_.train->Next(batch)) break;
        CheckBatch(m, batch.x, batch.y, true);
        if (o_.hasSchedule && o_.schedule.perBatch) m.RequestLr(o_.schedule.LrAt(baseLr, globalStep));
        const int64_t len = batch.size;
        at::Tensor loss = TrainStep(m, batch.x, batch.y, o_.classWeight, &metrics, loss_.get(), {"fit()", false});
        lossSum.Add(loss, len);
        ++globalStep;
        // The running figures are read (a device sync) only when JS is shown them.
        if (o_.batchLogs && batchLogClock.Due()) {
          Logs logs{{"loss", lossSum.Mean()}, {"size", static_cast<double>(len)}};
          for (const auto& kv : metrics.Values()) logs.push_back(kv);
          AddLossScale(m, logs);
          Emit("batchEnd", b, std::move(logs), false);
        }
        if (o_.terminateOnNaN && !std::isfinite(loss.item<double>())) {
          stoppedOnNaN_ = true;
          if (!m.dataParallel) {
            stop = true;
            break;
          }
        }
      }
      if (m.dataParallel && m.dataParallel->Any(stoppedOnNaN_)) stoppedOnNaN_ = stop = true;
      // A stop seen before this epoch's first batch ends training here: an epoch with no batch is
      // not one (its loss would be 0/0). Every rank stopped at the same step, so all break together.
      if (stop && lossSum.Samples() == 0) break;
      Logs logs{{"loss", lossSum.Mean()}};
      for (const auto& kv : metrics.Values()) logs.push_back(kv);
      TORCH_CHECK(lossSum.Samples() > 0, "the training data yielded no batches");
      if (o_.validation && !stoppedOnNaN_) {
        EvalResult val = Evaluate(m, *o_.validation, loss_.get());
        logs.emplace_back("val_loss", val.loss);
        for (const auto& kv : val.metrics) logs.emplace_back("val_" + kv.first, kv.second);
      }
      // All ranks ran the same number of equal-sized steps: the mean over ranks is the global figure.
      if (m.dataParallel) AverageLogs(*m.dataParallel, logs);
      logs.emplace_back("lr", m.lr.load());
      AddLossScale(m, logs);
      ++epochsRun_;
      if (Emit("epochEnd", epoch, std::move(logs), true)) stop = true;
      if (m.dataParallel) stop = m.dataParallel->Any(stop);
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("epochsRun", static_cast<double>(epochsRun_));
    out.Set("stoppedOnNaN", stoppedOnNaN_);
    return out;
  }

  void Cancel() override {
    m_->stopRequested = true;
    o_.train->Cancel();
    if (o_.validation) o_.validation->Cancel();
    events_.Abandon();
    loss_.Abandon();
  }

 private:
  bool Emit(const char* type, int64_t index, Logs logs, bool blocking) { return events_.Emit(type, index, std::move(logs), blocking); }

  std::shared_ptr<NativeModel> m_;
  FitOptions o_;
  TrainingEvents events_;
  CustomLossSlot loss_;
  int64_t epochsRun_ = 0;
  bool stoppedOnNaN_ = false;
};

// (model) reserves the model for a fit() (its session), before the JS side touches it (resuming
// from a checkpoint): a second fit is refused here. modelFit takes the reservation over;
// modelEndFit gives it back when fit fails before reaching modelFit.
Napi::Value BeginFit(const Napi::CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  if (!m->owner.BeginSession("fit()")) {
    const char* session = m->owner.Session();
    throw PlainErr(info.Env(), "fit", std::string("the model is already being trained by ") + (session != nullptr ? session : "another call") + "; wait for it to finish");
  }
  return info.Env().Undefined();
}

Napi::Value EndFit(const Napi::CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  const char* session = m->owner.Session();
  if (session != nullptr && std::string(session) == "fit()") m->owner.EndSession();
  return info.Env().Undefined();
}

Napi::Value Fit(const Napi::CallbackInfo& info) {
  auto m = ModelArg(info, 0);
  if (!m->compiled) throw PlainErr(info.Env(), "fit", "the model must be compiled first (call compile())");
  SpecReader s(info[1].As<Napi::Object>(), "fit", "options");
  FitOptions o;
  const Shard shard = m->dataParallel ? m->dataParallel->DataShard() : Shard{};
  // A tensor or an array of tensors (one per model input/output); empty when absent.
  auto tensorsField = [&](const char* key) -> Tensors {
    if (!s.Has(key)) return {};
    Napi::Value v = s.Raw(key);
    if (!v.IsArray()) return {Unwrap(info.Env(), "fit", v)};
    Tensors out;
    Napi::Array arr = v.As<Napi::Array>();
    for (uint32_t k = 0; k < arr.Length(); ++k) out.push_back(Unwrap(info.Env(), "fit", arr.Get(k)));
    return out;
  };
  const int64_t batchSize = s.Int("batchSize", 32);
  if (batchSize < 1) throw RangeErr(info.Env(), "fit", "batchSize must be >= 1");
  if (s.Has("dataset")) {
    // A dataset (nt.data): batches come from its prefetching source.
    LoaderOptions train = ReadLoaderOptions(info[1].As<Napi::Object>(), "fit");
    train.shard = shard;
    o.train = std::make_shared<DatasetSource>(DatasetField(info[1].As<Napi::Object>(), "dataset", "fit"), train);
  } else {
    Tensors x = tensorsField("x");
    Tensors y = tensorsField("y");
    if (x.empty() || y.empty()) throw TypeErr(info.Env(), "fit", "x and y must be tensors");
    o.train = std::make_shared<TensorBatchSource>(std::move(x), std::move(y), batchSize, s.Bool("shuffle", true), false, shard);
  }
  if (s.Has("valDataset")) {
    LoaderOptions val{batchSize, false, false, 2};
    val.shard = shard;
    o.validation = std::make_shared<DatasetSource>(DatasetField(info[1].As<Napi::Object>(), "valDataset", "fit"), val);
  } else {
    Tensors valX = tensorsField("valX");
    if (!valX.empty()) o.validation = std::make_shared<TensorBatchSource>(std::move(valX), tensorsField("valY"), batchSize, false, false, shard);
  }
  if (s.Has("classWeight")) o.classWeight = Unwrap(info.Env(), "fit", s.Raw("classWeight"));
  o.epochs = s.Int("epochs", 1);
  o.initialEpoch = s.Int("initialEpoch", 0);
  o.stepsPerEpoch = s.Int("stepsPerEpoch", 0);
  o.batchLogs = s.Bool("batchLogs", false);
  o.batchLogsEveryMs = s.Number("batchLogsEveryMs", 0);
  o.terminateOnNaN = s.Bool("terminateOnNaN", false);
  o.baseLr = s.Number("baseLr", -1);
  if (s.Has("lrSchedule")) {
    o.hasSchedule = true;
    o.schedule = ReadLrSchedule(s.Object("lrSchedule"), "fit");
  }
  if (!info[2].IsFunction()) throw TypeErr(info.Env(), "fit", "onEvent must be a function");
  const char* session = m->owner.Session();
  if (session == nullptr || std::string(session) != "fit()") throw PlainErr(info.Env(), "fit", "the model was not reserved for fit (modelBeginFit)");
  m->stopRequested = false;
  // From here the worker owns the reservation: it ends the session when Run() ends (or, should
  // the thread not start, when it is deleted unrun).
  return (new FitWorker(info.Env(), m, std::move(o), info[2].As<Napi::Function>(), info[3]))->StartThread();
}

// Over a Dataset, predict and evaluate may be long and wait on its producer (JS decoding images
// with sharp, itself on the pool), so they get a thread of their own; over tensors they are short:
// evaluate runs on libuv's pool, predict on the model's own thread (warm from its last call).
Napi::Promise StartReading(PromiseWorker* w, const Napi::CallbackInfo& info, size_t dataArg, NativeModel* predicting) {
  if (IsDatasetArg(info, dataArg)) return w->StartThread();
  return predicting != nullptr ? w->RunOn(predicting->PredictThread()) : w->Queue();
}

int64_t BatchSizeArg(const Napi::CallbackInfo& info, size_t i) {
  int64_t b = IsNullish(info[i]) ? 32 : IntArg(info, i);
  if (b < 1) throw RangeErr(info.Env(), OpName(info), "batchSize must be >= 1");
  return b;
}

const OpSpec kTrainerOps[] = {
    // (model, x, batchSize, channelsLast) → Promise<Tensor>
    {"modelPredict",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       std::shared_ptr<BatchSource> source;
       if (IsDatasetArg(i, 1)) {
         source = std::make_shared<DatasetSource>(DatasetArg(i, 1), LoaderOptions{BatchSizeArg(i, 2), false, false, 2});
       } else {
         source = std::make_shared<TensorBatchSource>(TensorsArg(i, 1), Tensors{}, BatchSizeArg(i, 2), false);
       }
       auto m = ModelArg(i, 0);
       return StartReading(new PredictWorker(i.Env(), m, std::move(source), BoolArg(i, 3)), i, 1, m.get());
     }},
    // (model, x, y, batchSize, customLoss?) → Promise<logs>
    {"modelEvaluate",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       std::shared_ptr<BatchSource> source;
       if (IsDatasetArg(i, 1)) {
         source = std::make_shared<DatasetSource>(DatasetArg(i, 1), LoaderOptions{BatchSizeArg(i, 3), false, false, 2});
       } else {
         source = std::make_shared<TensorBatchSource>(TensorsArg(i, 1), TensorsArg(i, 2), BatchSizeArg(i, 3), false);
       }
       return StartReading(new EvaluateWorker(i.Env(), ModelArg(i, 0), std::move(source), i[4]), i, 1, nullptr);
     }},
    // (model, x, y, classWeight | null, customLoss?) → Promise<logs>
    {"modelTrainOnBatch",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto m = ModelArg(i, 0);
       RefuseDuringSession(i, *m, "trainOnBatch");
       return (new TrainOnBatchWorker(i.Env(), m, TensorsArg(i, 1), TensorsArg(i, 2), OptionalTensor(i, 3), i[4]))->Queue();
     }},
    // (model, x, y, classWeight | null, customLoss?) → logs, on the calling thread
    {"modelTrainOnBatchSync",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto m = ModelArg(i, 0);
       RefuseDuringSession(i, *m, "trainOnBatch");
       if (!m->compiled) throw PlainErr(i.Env(), "trainOnBatch", "the model must be compiled first (call compile())");
       if (m->dataParallel) throw PlainErr(i.Env(), "trainOnBatchSync", "a data-parallel model waits on the other ranks; use trainOnBatch (a Promise)");
       LossFn custom;
       if (i[4].IsFunction()) {
         Napi::Env env = i.Env();
         Napi::Function fn = i[4].As<Napi::Function>();
         Owner* owner = &m->owner;
         custom = [env, fn, owner](const at::Tensor& pred, const at::Tensor& target) {
           Owner::LendToJs lend(*owner);  // the loss may read the model this step holds
           return CallJsLoss(env, fn, pred, target);
         };
       }
       return LogsObject(i.Env(), StepLogs(*m, TensorsArg(i, 1), TensorsArg(i, 2), OptionalTensor(i, 3), custom ? &custom : nullptr, {"trainOnBatch", true}));
     }},
    {"modelBeginFit", BeginFit},
    {"modelEndFit", EndFit},
    {"modelFit", Fit},
};

// One optimizer step on a batch (forward and loss + penalties under autocast when compiled with
// mixedPrecision, backward of the scaled loss, unscaling, clipping, step, metrics).
// `customLoss` replaces the compiled loss for models compiled with a JS loss. Returns the batch
// loss, detached and still on the model's device (reading it waits for the device). Holds the
// model for writing (see StepCaller).
at::Tensor TrainStep(NativeModel& m, const Tensors& x, const Tensors& y, const at::Tensor& classWeight, OutputMetrics* metrics,
                     const LossFn* customLoss, StepCaller caller) {
  RequireCompiled(m, "trainOnBatch");
  CheckBatch(m, x, y, true);
  for (const auto& t : x) TORCH_CHECK(t.size(0) == x[0].size(0), "the inputs have different numbers of samples (", x[0].size(0), " and ", t.size(0), ")");
  for (const auto& t : y) TORCH_CHECK(t.size(0) == x[0].size(0), "x has ", x[0].size(0), " samples but y has ", t.size(0));
  Tensors xs = ToDevice(x, m.device);
  Tensors targets = ToDevice(y, m.device);
  Owner::Hold hold = caller.onJsThread ? m.owner.TryWrite(caller.op) : m.owner.Write(caller.op);
  m.ApplyLr();
  ModeGuard mode(m, true);
  m.optimizer->zero_grad();
  if (m.dataParallel) m.dataParallel->BeforeForward();
  Tensors logits;
  at::Tensor loss;
  {
    AutocastRegion autocast(m.precision, m.device);
    logits = m.graph.RunLogits(xs);
    for (auto& t : logits) t = FullPrecisionOutput(m.precision, t);
    loss = BatchLoss(m, logits, targets, classWeight, customLoss);
  }
  if (m.dataParallel) {
    m.dataParallel->Backward(m.scaler.Scale(loss));
  } else {
    m.scaler.Scale(loss).backward();
  }
  // A step whose (unscaled) gradients hold inf/NaN is skipped and backs the loss scale off.
  const bool finite = m.scaler.Unscale(m.Parameters());
  if (finite) {
    if (m.clip.norm > 0 || m.clip.value > 0) m.clip.Apply(m.Parameters());
    m.optimizer->step();
  }
  m.scaler.Update(finite);
  if (metrics != nullptr) metrics->Update(logits, targets);
  return loss.detach();
}

}  // namespace

void RegisterTrainer(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kTrainerOps); }

}  // namespace nt
