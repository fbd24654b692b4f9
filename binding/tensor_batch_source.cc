// tensor_batch_source.cc — batches of in-memory tensors, optionally reshuffled every epoch.
#include "tensor_batch_source.h"

#include "shard.h"

namespace nt {

std::vector<at::Tensor> Rows(const std::vector<at::Tensor>& ts, int64_t start, int64_t len, const at::Tensor& idx) {
  std::vector<at::Tensor> out;
  out.reserve(ts.size());
  for (const auto& t : ts) out.push_back(idx.defined() ? t.index_select(0, idx.to(t.device())) : t.narrow(0, start, len));
  return out;
}

TensorBatchSource::TensorBatchSource(std::vector<at::Tensor> x, std::vector<at::Tensor> y, int64_t batchSize, bool shuffle, bool dropLast, Shard shard)
    : x_(std::move(x)), y_(std::move(y)), batchSize_(batchSize), shuffle_(shuffle), dropLast_(dropLast), shard_(shard) {
  TORCH_CHECK(!x_.empty(), "no input tensors");
  TORCH_CHECK(batchSize_ >= 1, "batchSize must be >= 1, got ", batchSize_);
  n_ = x_[0].size(0);
  for (const auto& t : x_) TORCH_CHECK(t.size(0) == n_, "the inputs have different numbers of samples (", n_, " and ", t.size(0), ")");
  for (const auto& t : y_) TORCH_CHECK(t.size(0) == n_, "x has ", n_, " samples but y has ", t.size(0));
}

int64_t TensorBatchSource::BeginEpoch(int64_t epoch) {
  if (shard_.worldSize > 1) {
    perm_ = ShardOrder(n_, shard_, epoch, shuffle_).to(x_[0].device());
  } else {
    perm_ = shuffle_ ? at::randperm(n_, at::TensorOptions().dtype(at::kLong).device(x_[0].device())) : at::Tensor();
  }
  count_ = perm_.defined() ? perm_.size(0) : n_;
  next_ = 0;
  return dropLast_ ? count_ / batchSize_ : (count_ + batchSize_ - 1) / batchSize_;
}

bool TensorBatchSource::Next(Batch& out) {
  if (cancelled_ || next_ >= count_) return false;
  int64_t len = std::min(batchSize_, count_ - next_);
  if (dropLast_ && len < batchSize_) return false;
  at::Tensor idx = perm_.defined() ? perm_.narrow(0, next_, len) : at::Tensor();
  out.x = Rows(x_, next_, len, idx);
  out.y = Rows(y_, next_, len, idx);
  out.size = len;
  next_ += len;
  return true;
}

}  // namespace nt
