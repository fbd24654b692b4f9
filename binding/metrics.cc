// metrics.cc — metric updates with libtorch ops on the batch predictions (the model's final
// outputs: probabilities for classifiers) and targets.
#include "metrics.h"

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
  std::fill(sums_.begin(), sums_.end(), 0.0);
  std::fill(counts_.begin(), counts_.end(), 0.0);
  std::fill(tp_.begin(), tp_.end(), 0.0);
  std::fill(fp_.begin(), fp_.end(), 0.0);
  std::fill(fn_.begin(), fn_.end(), 0.0);
}

void MetricState::Update(const at::Tensor& predIn, const at::Tensor& targetIn) {
  at::NoGradGuard noGrad;
  at::Tensor pred = predIn.detach();
  for (size_t i = 0; i < specs_->size(); ++i) {
    const MetricSpec& m = (*specs_)[i];
    if (m.kind == "sparseCategoricalAccuracy" || m.kind == "categoricalAccuracy") {
      at::Tensor correct = pred.argmax(1).eq(TargetClasses(targetIn, pred));
      sums_[i] += correct.sum().item<double>();
      counts_[i] += static_cast<double>(correct.numel());
    } else if (m.kind == "topK") {
      at::Tensor classes = TargetClasses(targetIn, pred).reshape({-1, 1});
      int64_t k = std::min<int64_t>(m.k, pred.size(1));
      at::Tensor top = std::get<1>(pred.topk(k, 1));
      sums_[i] += top.eq(classes).any(1).sum().item<double>();
      counts_[i] += static_cast<double>(classes.size(0));
    } else if (m.kind == "binaryAccuracy" || m.kind == "precision" || m.kind == "recall") {
      at::Tensor predicted = pred.gt(m.threshold).reshape(-1);
      at::Tensor actual = targetIn.to(pred.scalar_type()).reshape(-1).gt(0.5);
      if (m.kind == "binaryAccuracy") {
        sums_[i] += predicted.eq(actual).sum().item<double>();
        counts_[i] += static_cast<double>(predicted.numel());
      } else {
        tp_[i] += predicted.logical_and(actual).sum().item<double>();
        fp_[i] += predicted.logical_and(actual.logical_not()).sum().item<double>();
        fn_[i] += predicted.logical_not().logical_and(actual).sum().item<double>();
      }
    } else {  // mse, mae
      at::Tensor diff = pred.reshape(-1) - targetIn.to(pred.scalar_type()).reshape(-1);
      sums_[i] += (m.kind == "mse" ? diff.pow(2) : diff.abs()).sum().item<double>();
      counts_[i] += static_cast<double>(diff.numel());
    }
  }
}

std::vector<std::pair<std::string, double>> MetricState::Values() const {
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < specs_->size(); ++i) {
    const MetricSpec& m = (*specs_)[i];
    double v;
    if (m.kind == "precision") {
      v = tp_[i] + fp_[i] > 0 ? tp_[i] / (tp_[i] + fp_[i]) : 0.0;
    } else if (m.kind == "recall") {
      v = tp_[i] + fn_[i] > 0 ? tp_[i] / (tp_[i] + fn_[i]) : 0.0;
    } else {
      v = counts_[i] > 0 ? sums_[i] / counts_[i] : 0.0;
    }
    out.emplace_back(m.name, v);
  }
  return out;
}

}  // namespace nt
