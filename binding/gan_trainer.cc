// gan_trainer.cc — the native GAN trainer: a generator and a discriminator (two native models)
// with their own optimizers, trained by alternating discriminator and generator steps — one
// synchronous step (ganTrainStep) or whole epochs on a worker thread (ganTrain) that report to JS
// through TrainingEvents like fit does.
//
// One iteration (the PyTorch DCGAN example's order): z ~ N(0, 1); fake = G(z);
//   D step: loss_D = L_D(D(real), D(fake.detach())), backward, D optimizer step
//           (dSteps > 1: the extra D steps take the next real batches and fresh noise);
//   G step: loss_G = L_G(D(fake)) with the updated D, backward, G optimizer step.
// Losses: 'bce' (BCE-with-logits, non-saturating G: -log D(G(z))), 'minimax' (the saturating
// log(1 - D(G(z))) of the original GAN), 'hinge' (D: relu(1 - D(x)) + relu(1 + D(G(z))), G: -D(G(z))).
// One-sided label smoothing sets the real target to 1 - labelSmoothing. An optional lr schedule
// (the same specs as fit's) sets both optimizers' lrs each epoch or each G step. With both networks
// data-parallel (nt.distributed.wrap), each rank trains on its shard, c10d averages each network's
// gradients in its backward, and the epoch logs are averaged over the ranks. With mixedPrecision the
// forwards and losses run under autocast, and a loss scaler (fp16) scales both losses, skips the
// D or G step whose gradients hold inf/NaN, and updates its scale once per iteration. A step's
// statistics stay on the device (no sync per step): the epoch sums them there and reads them at
// its end, and per-step logs are read only when they are due.
#include <atomic>

#include "args.h"
#include "async.h"
#include "dataset.h"
#include "external.h"
#include "mixed_precision.h"
#include "model_wrap.h"
#include "spec_reader.h"
#include "tensor_batch_source.h"
#include "tensor_wrap.h"
#include "training_events.h"

namespace nt {
namespace {

struct NativeGan {
  std::shared_ptr<NativeModel> g, d;
  std::unique_ptr<torch::optim::Optimizer> gOpt, dOpt;
  std::string loss = "bce";
  double realLabel = 1.0;
  int64_t dSteps = 1;
  int64_t latentDim = 0;
  Precision precision;
  LossScaler scaler;
  std::atomic<bool> training{false};
  std::atomic<bool> stopRequested{false};
};

struct GanHandle {
  static constexpr uint64_t kMagic = 0x6e7447616e303031ull;
  uint64_t magic = kMagic;
  std::shared_ptr<NativeGan> gan;
};

std::shared_ptr<NativeGan> GanArg(const Napi::CallbackInfo& info, size_t i) {
  std::shared_ptr<NativeGan> gan = ExternalOf<GanHandle>(info.Env(), info[i], OpName(info), "a GAN trainer")->gan;
  if (!gan) throw PlainErr(info.Env(), OpName(info), "the GAN trainer was disposed");
  return gan;
}

at::Tensor Bce(const at::Tensor& logits, double target) {
  return at::binary_cross_entropy_with_logits(logits, at::full_like(logits, target));
}

at::Tensor DiscriminatorLoss(const NativeGan& gan, const at::Tensor& real, const at::Tensor& fake) {
  if (gan.loss == "hinge") return at::relu(1 - real).mean() + at::relu(1 + fake).mean();
  return Bce(real, gan.realLabel) + Bce(fake, 0.0);
}

at::Tensor GeneratorLoss(const NativeGan& gan, const at::Tensor& fake) {
  if (gan.loss == "hinge") return -fake.mean();
  if (gan.loss == "minimax") return -Bce(fake, 0.0);  // minimizes log(1 - D(G(z)))
  return Bce(fake, 1.0);
}

// Autocast on both networks' devices for a scope (one region when they share a device type).
struct GanAutocast {
  explicit GanAutocast(const NativeGan& gan) : g(gan.precision, gan.g->device), d(gan.precision, gan.d->device) {}
  AutocastRegion g, d;
};

// Backward of the (scaled) loss, through the network's reducer when it is data-parallel; then,
// unless the unscaled gradients of `net` hold inf/NaN, the optimizer step. Returns whether it stepped.
bool BackwardAndStep(NativeGan& gan, NativeModel& net, torch::optim::Optimizer& opt, const at::Tensor& loss) {
  at::Tensor scaled = gan.scaler.Scale(loss);
  if (net.dataParallel) {
    net.dataParallel->Backward(scaled);
  } else {
    scaled.backward();
  }
  if (!gan.scaler.Unscale(net.Parameters())) return false;
  opt.step();
  return true;
}

// A step's statistics, one float64 tensor on D's device: its losses and D's mean outputs (as
// probabilities) on the real and the fake batch, of the last D step.
const char* const kStatNames[] = {"dLoss", "gLoss", "dReal", "dFake"};

at::Tensor StepStats(const at::Tensor& dLoss, const at::Tensor& gLoss, const at::Tensor& realLogits, const at::Tensor& fakeLogits) {
  torch::NoGradGuard noGrad;
  return at::stack({dLoss.detach().to(at::kDouble), gLoss.detach().to(at::kDouble), at::sigmoid(realLogits.detach()).mean().to(at::kDouble),
                    at::sigmoid(fakeLogits.detach()).mean().to(at::kDouble)});
}

// One G step after `realBatches.size()` D steps. `noise` (optional) replaces the sampled z of
// each D step ([dSteps, batch, latentDim]); the G step uses the last D step's fake images.
// Holds both models for writing: waits for them on a worker thread, or (`onJsThread`) takes them
// now or throws. Only GAN training holds two models, and its session excludes other GANs.
at::Tensor Step(NativeGan& gan, const std::vector<at::Tensor>& realBatches, const at::Tensor& noise, bool onJsThread) {
  NativeModel& g = *gan.g;
  NativeModel& d = *gan.d;
  const char* op = onJsThread ? "gan.trainStep" : "gan.train()";
  Owner::Hold gHold = onJsThread ? g.owner.TryWrite(op) : g.owner.Write(op);
  Owner::Hold dHold = onJsThread ? d.owner.TryWrite(op) : d.owner.Write(op);
  ModeGuard gMode(g, true), dMode(d, true);
  at::Tensor fake, realLogits, fakeLogits, dLoss;
  bool finite = true;  // every step of this iteration had finite gradients
  for (size_t k = 0; k < realBatches.size(); ++k) {
    at::Tensor real = realBatches[k].to(d.device);
    at::Tensor z = noise.defined() ? noise[k].to(g.device) : at::randn({real.size(0), gan.latentDim}, at::TensorOptions().device(g.device));
    gan.dOpt->zero_grad();
    {
      GanAutocast autocast(gan);
      if (g.dataParallel) g.dataParallel->BeforeForward();
      fake = g.graph.Forward(z);
      if (d.dataParallel) d.dataParallel->BeforeForward();
      realLogits = FullPrecisionOutput(gan.precision, d.graph.Forward(real));
      fakeLogits = FullPrecisionOutput(gan.precision, d.graph.Forward(fake.detach().to(d.device)));
      dLoss = DiscriminatorLoss(gan, realLogits, fakeLogits);
    }
    finite = BackwardAndStep(gan, d, *gan.dOpt, dLoss) && finite;
  }
  gan.gOpt->zero_grad();
  at::Tensor gLoss;
  {
    GanAutocast autocast(gan);
    gLoss = GeneratorLoss(gan, FullPrecisionOutput(gan.precision, d.graph.Forward(fake.to(d.device))));
  }
  // D's gradients from this backward are discarded (its reducer is not armed; zero_grad before its step).
  finite = BackwardAndStep(gan, g, *gan.gOpt, gLoss) && finite;
  gan.scaler.Update(finite);
  return StepStats(dLoss, gLoss, realLogits, fakeLogits);
}

// The logs of a step's statistics (or of their sum over `steps` steps: their means), with the
// current loss scale when there is one. Copies them to the host: one device sync.
Logs StatsLogs(const at::Tensor& stats, double steps, const NativeGan& gan) {
  at::Tensor host = stats.to(at::kCPU);
  const double* v = host.data_ptr<double>();
  Logs logs;
  for (size_t k = 0; k < 4; ++k) logs.emplace_back(kStatNames[k], v[k] / steps);
  if (gan.scaler.enabled) logs.emplace_back("lossScale", gan.scaler.scale);
  return logs;
}

// Marks both models (and the trainer) busy for the duration of a training call; released by
// Release() or at destruction.
class Exclusive {
 public:
  Exclusive(const Napi::CallbackInfo& info, NativeGan& gan) : gan_(gan) {
    bool expected = false;
    if (!gan.training.compare_exchange_strong(expected, true)) {
      throw PlainErr(info.Env(), "gan.train", "the GAN trainer is already training; wait for it to finish");
    }
    for (NativeModel* m : {gan.g.get(), gan.d.get()}) {
      if (!m->owner.BeginSession("gan.train()")) {
        const char* session = m->owner.Session();
        std::string other = session != nullptr ? session : "another session";
        Release();
        throw PlainErr(info.Env(), "gan.train", "a model of the GAN is being trained by " + other + "; wait for it to finish");
      }
      held_.push_back(m);
    }
  }
  ~Exclusive() { Release(); }
  Exclusive(const Exclusive&) = delete;
  Exclusive& operator=(const Exclusive&) = delete;

  void Release() {
    if (released_) return;
    for (NativeModel* m : held_) m->owner.EndSession();
    held_.clear();
    gan_.training = false;
    released_ = true;
  }

 private:
  NativeGan& gan_;
  std::vector<NativeModel*> held_;
  bool released_ = false;
};

struct TrainOptions {
  std::shared_ptr<BatchSource> data;
  int64_t epochs = 1;
  int64_t initialEpoch = 0;
  int64_t stepsPerEpoch = 0;
  bool batchLogs = false;
  double batchLogsEveryMs = 0;  // > 0: at most one batchEnd event per this many ms (a progress bar's reads)
  bool hasSchedule = false;
  LrSchedule schedule;  // applied to both optimizers, from their lrs when training starts
};

class GanTrainWorker : public PromiseWorker {
 public:
  GanTrainWorker(Napi::Env env, std::shared_ptr<NativeGan> gan, TrainOptions o, Napi::Function onEvent, std::unique_ptr<Exclusive> busy)
      : PromiseWorker(env, "gan.train"), gan_(std::move(gan)), o_(std::move(o)), events_(env, onEvent, "nodetorch.gan"), busy_(std::move(busy)) {}

 protected:
  void Run() override {
    struct Finish {
      GanTrainWorker* w;
      ~Finish() { w->busy_->Release(); }
    } finish{this};
    NativeGan& gan = *gan_;
    const double gBaseLr = GetLr(*gan.gOpt);
    const double dBaseLr = GetLr(*gan.dOpt);
    auto scheduleLr = [&](int64_t step) {
      SetLr(*gan.gOpt, o_.schedule.LrAt(gBaseLr, step));
      SetLr(*gan.dOpt, o_.schedule.LrAt(dBaseLr, step));
    };
    int64_t globalStep = -1;  // G steps; set from the first epoch's length
    BatchLogClock batchLogClock(o_.batchLogsEveryMs);
    bool stop = false;
    for (int64_t epoch = o_.initialEpoch; epoch < o_.epochs && !stop; ++epoch) {
      if (o_.hasSchedule && !o_.schedule.perBatch) scheduleLr(epoch);
      bool stopAtBegin = events_.Emit("epochBegin", epoch, {}, true);
      if (gan.g->dataParallel) stopAtBegin = gan.g->dataParallel->Any(stopAtBegin);
      if (stopAtBegin) break;
      int64_t steps = o_.data->BeginEpoch(epoch);
      if (steps >= 0) steps /= gan.dSteps;
      if (o_.stepsPerEpoch > 0) steps = steps < 0 ? o_.stepsPerEpoch : std::min(steps, o_.stepsPerEpoch);
      if (globalStep < 0) globalStep = o_.initialEpoch * std::max<int64_t>(steps, 0);
      at::Tensor sum;  // of the steps' statistics, on the device
      int64_t done = 0;
      for (int64_t b = 0; steps < 0 || b < steps; ++b) {
        if (StopBeforeBatch(gan.g->dataParallel.get(), b, gan.stopRequested.load())) {  // all ranks stop together
          stop = true;
          break;
        }
        std::vector<at::Tensor> real;
        Batch batch;
        while (static_cast<int64_t>(real.size()) < gan.dSteps && o_.data->Next(batch)) real.push_back(batch.x.at(0));
        if (static_cast<int64_t>(real.size()) < gan.dSteps) break;
        if (o_.hasSchedule && o_.schedule.perBatch) scheduleLr(globalStep);
        at::Tensor stats = Step(gan, real, at::Tensor(), false);
        ++globalStep;
        sum = sum.defined() ? sum + stats : stats;
        ++done;
        if (o_.batchLogs && batchLogClock.Due()) events_.Emit("batchEnd", b, StatsLogs(stats, 1.0, gan), false);
      }
      TORCH_CHECK(done > 0 || stop, "the training data yielded no batches (", gan.dSteps, " needed per step)");
      if (done == 0) break;
      ++epochsRun_;
      Logs logs = StatsLogs(sum, static_cast<double>(done), gan);
      if (gan.g->dataParallel) AverageLogs(*gan.g->dataParallel, logs);
      if (events_.Emit("epochEnd", epoch, std::move(logs), true)) stop = true;
      if (gan.g->dataParallel) stop = gan.g->dataParallel->Any(stop);
    }
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("epochsRun", static_cast<double>(epochsRun_));
    return out;
  }

  void Cancel() override {
    gan_->stopRequested = true;
    o_.data->Cancel();
    events_.Abandon();
  }

 private:
  std::shared_ptr<NativeGan> gan_;
  TrainOptions o_;
  TrainingEvents events_;
  std::unique_ptr<Exclusive> busy_;
  int64_t epochsRun_ = 0;
};

// (generator, discriminator, { gOptimizer, dOptimizer, loss, labelSmoothing, dSteps, latentDim, mixedPrecision, lossScale }) → handle
Napi::Value Create(const Napi::CallbackInfo& info) {
  auto gan = std::make_shared<NativeGan>();
  gan->g = ModelArg(info, 0);
  gan->d = ModelArg(info, 1);
  if (gan->g == gan->d) throw PlainErr(info.Env(), "gan.train", "the generator and the discriminator must be different models");
  if (!info[2].IsObject()) throw TypeErr(info.Env(), "gan.train", "options must be an object");
  SpecReader s(info[2].As<Napi::Object>(), "gan.train", "options");
  gan->loss = s.String("loss");
  if (gan->loss != "bce" && gan->loss != "minimax" && gan->loss != "hinge") {
    throw RangeErr(info.Env(), "gan.train", "loss must be 'bce', 'minimax' or 'hinge', got '" + gan->loss + "'");
  }
  double smoothing = s.Number("labelSmoothing", 0.0);
  if (!(smoothing >= 0 && smoothing < 1)) throw RangeErr(info.Env(), "gan.train", "labelSmoothing must be in [0, 1)");
  gan->realLabel = 1.0 - smoothing;
  gan->dSteps = s.Int("dSteps", 1);
  if (gan->dSteps < 1) throw RangeErr(info.Env(), "gan.train", "dSteps must be >= 1");
  gan->latentDim = s.Int("latentDim");
  gan->gOpt = MakeOptimizer(s.Object("gOptimizer"), gan->g->Parameters(), "gan.train");
  gan->dOpt = MakeOptimizer(s.Object("dOptimizer"), gan->d->Parameters(), "gan.train");
  gan->precision = ReadPrecision(s.Raw("mixedPrecision"), "gan.train");
  gan->scaler = ReadLossScaler(s.Raw("lossScale"), gan->precision, "gan.train");
  return OwnedExternal(info.Env(), std::make_unique<GanHandle>(GanHandle{GanHandle::kMagic, std::move(gan)}));
}

// (gan, real[] (one batch per D step), noise | null) → logs, on the calling thread
Napi::Value StepSync(const Napi::CallbackInfo& info) {
  auto gan = GanArg(info, 0);
  std::vector<at::Tensor> real = TensorListArg(info, 1);
  if (static_cast<int64_t>(real.size()) != gan->dSteps) {
    throw RangeErr(info.Env(), "gan.trainStep", "needs " + std::to_string(gan->dSteps) + " real batch(es), one per discriminator step");
  }
  auto noise = OptTensorArg(info, 2);
  if (gan->g->dataParallel || gan->d->dataParallel) {
    throw PlainErr(info.Env(), "gan.trainStep", "data-parallel networks wait on the other ranks; use gan.train (a Promise)");
  }
  Exclusive busy(info, *gan);
  return LogsObject(info.Env(), StatsLogs(Step(*gan, real, noise ? *noise : at::Tensor(), true), 1.0, *gan));
}

// (gan, { x | dataset, batchSize, shuffle, epochs, initialEpoch, stepsPerEpoch, batchLogs, batchLogsEveryMs, lrSchedule }, onEvent) → Promise<{ epochsRun }>
Napi::Value Train(const Napi::CallbackInfo& info) {
  auto gan = GanArg(info, 0);
  if (!info[1].IsObject()) throw TypeErr(info.Env(), "gan.train", "options must be an object");
  if (!info[2].IsFunction()) throw TypeErr(info.Env(), "gan.train", "onEvent must be a function");
  SpecReader s(info[1].As<Napi::Object>(), "gan.train", "options");
  TrainOptions o;
  if (static_cast<bool>(gan->g->dataParallel) != static_cast<bool>(gan->d->dataParallel)) {
    throw PlainErr(info.Env(), "gan.train", "wrap both the generator and the discriminator with nt.distributed.wrap, or neither");
  }
  const Shard shard = gan->g->dataParallel ? gan->g->dataParallel->DataShard() : Shard{};
  int64_t batchSize = s.Int("batchSize", 64);
  if (batchSize < 1) throw RangeErr(info.Env(), "gan.train", "batchSize must be >= 1");
  if (s.Has("dataset")) {
    LoaderOptions loader{batchSize, s.Bool("shuffle", true), true, 2};
    loader.shard = shard;
    o.data = std::make_shared<DatasetSource>(DatasetField(info[1].As<Napi::Object>(), "dataset", "gan.train"), loader);
  } else {
    o.data = std::make_shared<TensorBatchSource>(std::vector<at::Tensor>{Unwrap(info.Env(), "gan.train", s.Raw("x"))}, std::vector<at::Tensor>{},
                                                 batchSize, s.Bool("shuffle", true), true, shard);
  }
  o.epochs = s.Int("epochs", 1);
  o.initialEpoch = s.Int("initialEpoch", 0);
  o.stepsPerEpoch = s.Int("stepsPerEpoch", 0);
  o.batchLogs = s.Bool("batchLogs", false);
  o.batchLogsEveryMs = s.Number("batchLogsEveryMs", 0);
  if (s.Has("lrSchedule")) {
    o.hasSchedule = true;
    o.schedule = ReadLrSchedule(s.Object("lrSchedule"), "gan.train");
  }
  auto busy = std::make_unique<Exclusive>(info, *gan);
  gan->stopRequested = false;
  return (new GanTrainWorker(info.Env(), gan, std::move(o), info[2].As<Napi::Function>(), std::move(busy)))->StartThread();
}

Napi::Value Stop(const Napi::CallbackInfo& info) {
  GanArg(info, 0)->stopRequested = true;
  return info.Env().Undefined();
}

Napi::Value Dispose(const Napi::CallbackInfo& info) {
  auto gan = GanArg(info, 0);
  if (gan->training.load()) throw PlainErr(info.Env(), "gan.dispose", "the GAN trainer is training; stop it first");
  ExternalOf<GanHandle>(info.Env(), info[0], "gan.dispose", "a GAN trainer")->gan.reset();
  return info.Env().Undefined();
}

const OpSpec kGanOps[] = {
    {"ganCreate", Create},
    {"ganTrainStep", StepSync},
    {"ganTrain", Train},
    {"ganStop", Stop},
    {"ganDispose", Dispose},
};

}  // namespace

void RegisterGanTrainer(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kGanOps); }

}  // namespace nt
