// metrics.h — running training/evaluation metrics (Keras semantics: averages over the samples
// seen so far in the epoch; precision/recall from accumulated counts). The sums stay on the
// model's device: updating never waits for the device, only reading the values does.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace nt {

struct MetricSpec {
  std::string name;   // the key in logs, e.g. "accuracy"
  std::string kind;   // sparseCategoricalAccuracy, categoricalAccuracy, binaryAccuracy, topK, mse, mae, precision, recall
  int64_t k = 5;      // topK
  double threshold = 0.5;
};

std::vector<MetricSpec> ReadMetricSpecs(Napi::Array specs, const char* op);

// Accumulates metrics over batches. Update() runs on the training thread with grad disabled and
// only queues device work; Values() copies the sums to the host (one device sync).
class MetricState {
 public:
  explicit MetricState(const std::vector<MetricSpec>* specs) : specs_(specs), counts_(specs->size(), 0.0) {}
  void Reset();
  void Update(const at::Tensor& pred, const at::Tensor& target);
  std::vector<std::pair<std::string, double>> Values() const;

 private:
  const std::vector<MetricSpec>* specs_;
  // [metrics, 3] float64 on the predictions' device (undefined before the first update): per
  // metric its sum (column 0), or its true positives, false positives, false negatives.
  at::Tensor sums_;
  std::vector<double> counts_;  // samples per metric (known on the host without a sync)
};

// A running sum of batch losses weighted by batch size, kept on the loss's device so that adding
// a batch never waits for the device.
class LossSum {
 public:
  void Reset();
  void Add(const at::Tensor& batchLoss, int64_t samples);
  // The mean over the samples added so far (NaN when none; one device sync).
  double Mean() const;
  int64_t Samples() const { return samples_; }

 private:
  at::Tensor sum_;  // float64, 0-dim; undefined before the first batch
  int64_t samples_ = 0;
};

}  // namespace nt
