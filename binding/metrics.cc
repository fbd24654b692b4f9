// metrics.cc — metric updates with libtorch ops on the batch predictions (the model's final
// outputs: probabilities for classifiers) and targets.
#include "metrics.h"

#include <cmath>

#include "errors.h"
#include "spec_reader.h"

namespace nt {
namespace {

// Class indices of targets given as indices [N] / [N, 1] or one-hot [N, C].
at::Tensor TargetClasses(const at::Tensor& target, const at::Tensor& pred) {
  if (target.dim() == pred.dim() && target.sizes() == pred.sizes() && pred.dim() >= 2 && pred.size(1) > 1) return target.argmax(1);
  at::Tensor t = target.to(at::kLong);
  return t.dim() == pred.dim() && t.dim() >= 2 && t.size(1) == 1 ? t.squeeze(1) : t;
}

}  // namespace

std::vector<MetricSpec> ReadMetricSpecs(Napi::Array arr, const char* op) {
  std::vector<MetricSpec> out;
  static const char* kKinds[] = {"sparseCategoricalAccuracy", "categoricalAccuracy", "binaryAccuracy", "topK", "mse", "mae", "precision", "recall"};
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    SpecReader s(arr.Get(i).As<Napi::Object>(), op, "metric " + std::to_string(i));
    MetricSpec m;
    m.name = s.String("name");
    m.kind = s.String("kind");
    m.k = s.Int("k", 5);
    m.threshold = s.Number("threshold", 0.5);
    bool known = false;
    for (const char* k : kKinds) known = known || m.kind == k;
    if (!known) throw RangeErr(arr.Env(), op, "unknown metric '" + m.kind + "'");
    out.push_back(m);
  }
  return out;
}

void MetricState::Reset() {
  sums_ = at::Tensor();
  std::fill(counts_.begin(), counts_.end(), 0.0);
}

void MetricState::Update(const at::Tensor& predIn, const at::Tensor& targetIn) {
  at::NoGradGuard noGrad;
  at::Tensor pred = predIn.detach();
  if (!sums_.defined()) sums_ = at::zeros({static_cast<int64_t>(specs_->size()), 3}, pred.options().dtype(at::kDouble));
  // Adds a device scalar into slot (i, column) without reading it.
  auto add = [this](size_t i, int64_t column, const at::Tensor& value) { sums_.select(0, static_cast<int64_t>(i)).select(0, column).add_(value); };
  for (size_t i = 0; i < specs_->size(); ++i) {
    const MetricSpec& m = (*specs_)[i];
    if (m.kind == "sparseCategoricalAccuracy" || m.kind == "categoricalAccuracy") {
      at::Tensor correct = pred.argmax(1).eq(TargetClasses(targetIn, pred));
      add(i, 0, correct.sum());
      counts_[i] += static_cast<double>(correct.numel());
    } else if (m.kind == "topK") {
      at::Tensor classes = TargetClasses(targetIn, pred).reshape({-1, 1});
      int64_t k = std::min<int64_t>(m.k, pred.size(1));
      at::Tensor top = std::get<1>(pred.topk(k, 1));
      add(i, 0, top.eq(classes).any(1).sum());
      counts_[i] += static_cast<double>(classes.size(0));
    } else if (m.kind == "binaryAccuracy" || m.kind == "precision" || m.kind == "recall") {
      at::Tensor predicted = pred.gt(m.threshold).reshape(-1);
      at::Tensor actual = targetIn.to(pred.scalar_type()).reshape(-1).gt(0.5);
      if (m.kind == "binaryAccuracy") {
        add(i, 0, predicted.eq(actual).sum());
        counts_[i] += static_cast<double>(predicted.numel());
      } else {
        add(i, 0, predicted.logical_and(actual).sum());
        add(i, 1, predicted.logical_and(actual.logical_not()).sum());
        add(i, 2, predicted.logical_not().logical_and(actual).sum());
      }
    } else {  // mse, mae
      at::Tensor diff = pred.reshape(-1) - targetIn.to(pred.scalar_type()).reshape(-1);
      add(i, 0, (m.kind == "mse" ? diff.pow(2) : diff.abs()).sum());
      counts_[i] += static_cast<double>(diff.numel());
    }
  }
}

std::vector<std::pair<std::string, double>> MetricState::Values() const {
  std::vector<double> sums(specs_->size() * 3, 0.0);
  if (sums_.defined()) {
    at::Tensor host = sums_.to(at::kCPU).contiguous();
    std::copy(host.data_ptr<double>(), host.data_ptr<double>() + host.numel(), sums.begin());
  }
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < specs_->size(); ++i) {
    const MetricSpec& m = (*specs_)[i];
    const double sum = sums[3 * i], fp = sums[3 * i + 1], fn = sums[3 * i + 2];
    double v;
    if (m.kind == "precision") {
      v = sum + fp > 0 ? sum / (sum + fp) : 0.0;
    } else if (m.kind == "recall") {
      v = sum + fn > 0 ? sum / (sum + fn) : 0.0;
    } else {
      v = counts_[i] > 0 ? sum / counts_[i] : 0.0;
    }
    out.emplace_back(m.name, v);
  }
  return out;
}

void LossSum::Reset() {
  sum_ = at::Tensor();
  samples_ = 0;
}

void LossSum::Add(const at::Tensor& batchLoss, int64_t samples) {
  at::NoGradGuard noGrad;
  at::Tensor weighted = batchLoss.detach().to(at::kDouble) * static_cast<double>(samples);
  sum_ = sum_.defined() ? sum_ + weighted : weighted;
  samples_ += samples;
}

double LossSum::Mean() const {
  if (samples_ == 0) return NAN;
  return sum_.item<double>() / static_cast<double>(samples_);
}

}  // namespace nt
