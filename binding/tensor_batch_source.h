// tensor_batch_source.h — a BatchSource over in-memory tensors (fit/evaluate/predict on tensors,
// the GAN trainer on an image tensor): batches of rows in order, or in a fresh random order each
// epoch drawn from the global generator (so a seeded run, and a resumed one, repeat exactly); or,
// sharded for a data-parallel fit, this rank's share of an order all ranks agree on (shard.h).
#pragma once
#include <torch/torch.h>

#include <atomic>
#include <vector>

#include "batch_source.h"
#include "data_parallel.h"

namespace nt {

// Rows [start, start + len) of every tensor, or the rows listed in `idx` when it is defined.
std::vector<at::Tensor> Rows(const std::vector<at::Tensor>& ts, int64_t start, int64_t len, const at::Tensor& idx);

class TensorBatchSource : public BatchSource {
 public:
  // `y` may be empty (unlabeled data). Every tensor must have the same number of rows.
  TensorBatchSource(std::vector<at::Tensor> x, std::vector<at::Tensor> y, int64_t batchSize, bool shuffle, bool dropLast = false, Shard shard = {});

  int64_t BeginEpoch(int64_t epoch) override;
  bool Next(Batch& out) override;
  void Cancel() override { cancelled_ = true; }

  int64_t Samples() const { return n_; }

 private:
  std::vector<at::Tensor> x_, y_;
  int64_t n_ = 0;
  int64_t batchSize_;
  bool shuffle_;
  bool dropLast_;
  Shard shard_;
  at::Tensor perm_;    // the epoch's order (undefined: rows in order)
  int64_t count_ = 0;  // rows this epoch
  int64_t next_ = 0;
  std::atomic<bool> cancelled_{false};  // set from another thread (Cancel)
};

}  // namespace nt
