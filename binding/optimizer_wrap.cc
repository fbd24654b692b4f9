// optimizer_wrap.cc — optimizer construction (libtorch validates options with its own messages),
// learning-rate access, state (de)serialization, gradient clipping, and the schedule formulas (as
// torch.optim.lr_scheduler).
#include "optimizer_wrap.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cmath>
#include <cstring>
#include <sstream>

#include "errors.h"
#include "spec_reader.h"

namespace nt {

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(Napi::Object obj, const std::vector<at::Tensor>& params, const char* op) {
  SpecReader s(obj, op, "optimizer");
  std::string kind = s.String("kind");
  double lr = s.Number("lr");
  double weightDecay = s.Number("weightDecay", kind == "adamW" ? 1e-2 : 0.0);
  if (kind == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(lr).momentum(s.Number("momentum", 0.0)).dampening(s.Number("dampening", 0.0))
                    .weight_decay(weightDecay).nesterov(s.Bool("nesterov", false)));
  }
  if (kind == "adam" || kind == "adamW") {
    std::vector<double> betas = s.Has("betas") ? s.Numbers("betas") : std::vector<double>{0.9, 0.999};
    if (betas.size() != 2) throw RangeErr(obj.Env(), op, "optimizer: betas must be [beta1, beta2]");
    double eps = s.Number("eps", 1e-8);
    bool amsgrad = s.Bool("amsgrad", false);
    if (kind == "adam") {
      return std::make_unique<torch::optim::Adam>(
          params, torch::optim::AdamOptions(lr).betas({betas[0], betas[1]}).eps(eps).weight_decay(weightDecay).amsgrad(amsgrad));
    }
    return std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(lr).betas({betas[0], betas[1]}).eps(eps).weight_decay(weightDecay).amsgrad(amsgrad));
  }
  if (kind == "rmsprop") {
    return std::make_unique<torch::optim::RMSprop>(
        params, torch::optim::RMSpropOptions(lr).alpha(s.Number("alpha", 0.99)).eps(s.Number("eps", 1e-8)).weight_decay(weightDecay)
                    .momentum(s.Number("momentum", 0.0)).centered(s.Bool("centered", false)));
  }
  if (kind == "adagrad") {
    return std::make_unique<torch::optim::Adagrad>(
        params, torch::optim::AdagradOptions(lr).lr_decay(s.Number("lrDecay", 0.0)).weight_decay(weightDecay)
                    .initial_accumulator_value(s.Number("initialAccumulatorValue", 0.0)).eps(s.Number("eps", 1e-10)));
  }
  throw RangeErr(obj.Env(), op, "unknown optimizer '" + kind + "' (sgd, adam, adamW, rmsprop, adagrad)");
}

double GetLr(torch::optim::Optimizer& optimizer) { return optimizer.param_groups().at(0).options().get_lr(); }

void SetLr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

namespace {
constexpr const char* kLrsKey = "nodetorch_param_group_lrs";
}  // namespace

at::Tensor SaveOptimizerState(const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::vector<double> lrs;
  for (const auto& group : optimizer.param_groups()) lrs.push_back(group.options().get_lr());
  archive.write(kLrsKey, c10::IValue(lrs));
  std::ostringstream out;
  archive.save_to(out);
  const std::string bytes = out.str();
  at::Tensor t = at::empty({static_cast<int64_t>(bytes.size())}, at::kByte);
  std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

void LoadOptimizerState(torch::optim::Optimizer& optimizer, const at::Tensor& bytes) {
  at::Tensor data = bytes.to(at::kCPU).contiguous();
  torch::serialize::InputArchive archive;
  archive.load_from(static_cast<const char*>(data.data_ptr()), static_cast<size_t>(data.numel()));
  optimizer.load(archive);
  c10::IValue lrs;
  if (!archive.try_read(kLrsKey, lrs)) return;  // written before the lrs were kept
  std::vector<double> values = lrs.toDoubleVector();
  TORCH_CHECK(values.size() == optimizer.param_groups().size(), "the state holds ", values.size(), " parameter groups' learning rates, the optimizer has ",
              optimizer.param_groups().size(), " groups");
  for (size_t g = 0; g < values.size(); ++g) optimizer.param_groups()[g].options().set_lr(values[g]);
}

void GradClip::Apply(const std::vector<at::Tensor>& params) const {
  if (value > 0) torch::nn::utils::clip_grad_value_(params, value);
  if (norm > 0) torch::nn::utils::clip_grad_norm_(params, norm);
}

LrSchedule ReadLrSchedule(Napi::Object obj, const char* op) {
  SpecReader s(obj, op, "lrSchedule");
  LrSchedule l;
  l.kind = s.String("kind");
  l.perBatch = s.Has("interval") && s.String("interval") == "batch";
  l.gamma = s.Number("gamma", 0.1);
  l.stepSize = s.Int("stepSize", 1);
  if (s.Has("milestones")) l.milestones = s.Ints("milestones");
  l.tMax = s.Int("tMax", 1);
  l.etaMin = s.Number("etaMin", 0.0);
  l.warmupSteps = s.Int("warmupSteps", 0);
  l.maxLr = s.Number("maxLr", 0.0);
  l.totalSteps = s.Int("totalSteps", 0);
  l.pctStart = s.Number("pctStart", 0.3);
  l.divFactor = s.Number("divFactor", 25.0);
  l.finalDivFactor = s.Number("finalDivFactor", 1e4);
  static const char* kKinds[] = {"stepLR", "multiStepLR", "exponentialLR", "cosineAnnealing", "oneCycle"};
  bool known = false;
  for (const char* k : kKinds) known = known || l.kind == k;
  if (!known) throw RangeErr(obj.Env(), op, "unknown lrSchedule '" + l.kind + "'");
  return l;
}

double LrSchedule::LrAt(double baseLr, int64_t step) const {
  const double pi = std::acos(-1.0);
  if (kind == "stepLR") return baseLr * std::pow(gamma, static_cast<double>(step / std::max<int64_t>(stepSize, 1)));
  if (kind == "multiStepLR") {
    int64_t passed = 0;
    for (int64_t m : milestones) passed += step >= m ? 1 : 0;
    return baseLr * std::pow(gamma, static_cast<double>(passed));
  }
  if (kind == "exponentialLR") return baseLr * std::pow(gamma, static_cast<double>(step));
  if (kind == "cosineAnnealing") {
    if (step < warmupSteps) return baseLr * static_cast<double>(step + 1) / static_cast<double>(warmupSteps);
    double t = std::min<double>(static_cast<double>(step - warmupSteps), static_cast<double>(tMax));
    return etaMin + (baseLr - etaMin) * (1 + std::cos(pi * t / static_cast<double>(std::max<int64_t>(tMax, 1)))) / 2;
  }
  // oneCycle (torch.optim.lr_scheduler.OneCycleLR, cosine annealing, two phases)
  double initial = maxLr / divFactor;
  double minimum = initial / finalDivFactor;
  double end1 = pctStart * static_cast<double>(totalSteps) - 1;
  double end2 = static_cast<double>(totalSteps) - 1;
  double s = std::min<double>(static_cast<double>(step), end2);
  auto anneal = [pi](double from, double to, double pct) { return to + (from - to) / 2 * (std::cos(pi * pct) + 1); };
  if (s <= end1) return anneal(initial, maxLr, end1 > 0 ? s / end1 : 1.0);
  return anneal(maxLr, minimum, (s - end1) / std::max(end2 - end1, 1.0));
}

}  // namespace nt
