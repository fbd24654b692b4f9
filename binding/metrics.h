// metrics.h — running training/evaluation metrics (Keras semantics: averages over the samples
// seen so far in the epoch; precision/recall from accumulated counts).
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

// Accumulates metrics over batches. Update() runs on the training thread with grad disabled.
class MetricState {
 public:
  explicit MetricState(const std::vector<MetricSpec>* specs) : specs_(specs), sums_(specs->size(), 0.0), counts_(specs->size(), 0.0),
                                                               tp_(specs->size(), 0.0), fp_(specs->size(), 0.0), fn_(specs->size(), 0.0) {}
  void Reset();
  void Update(const at::Tensor& pred, const at::Tensor& target);
  std::vector<std::pair<std::string, double>> Values() const;

 private:
  const std::vector<MetricSpec>* specs_;
  std::vector<double> sums_, counts_, tp_, fp_, fn_;
};

}  // namespace nt
