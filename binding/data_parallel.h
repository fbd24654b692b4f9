// data_parallel.h — what a training step needs from a model that trains data-parallel across
// processes (nt.distributed.wrap): hooks around forward and backward (c10d's Reducer averages the
// gradients while backward runs), agreement on logs and stop decisions, and the rank/world/seed
// that shard the data. The implementation (distributed_reducer.cc) keeps c10d out of this header.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nt {

// How a DistributedSampler shards the data: this rank's part, and the shuffle seed all ranks share.
struct Shard {
  int64_t rank = 0;
  int64_t worldSize = 1;
  uint64_t seed = 0;
};

class DataParallel {
 public:
  virtual ~DataParallel() = default;
  virtual Shard DataShard() const = 0;
  // Before the training forward: buffers from rank 0 (as DDP's broadcast_buffers), Reducer state.
  virtual void BeforeForward() = 0;
  // loss.backward() with the Reducer armed (`loss` finds unused parameters): gradients are the
  // average over the ranks when it returns.
  virtual void Backward(const at::Tensor& loss) = 0;
  // Replaces each value by its mean over the ranks (every rank passes the same number of values).
  virtual void Average(std::vector<double>& values) = 0;
  // Whether any rank passes true.
  virtual bool Any(bool mine) = 0;
};

// Data-parallel ranks vote on stopping (a collective) before every kStopVoteEvery-th batch of an
// epoch, not every batch: the vote is a blocking round trip (~1% of a small model's step).
constexpr int64_t kStopVoteEvery = 8;

// Whether to stop before batch `b` of an epoch, given this rank's wish `mine`. With `dp`, all ranks
// are at the same batch, so they vote at the same ones and stop together after the same batch; a
// wish (a stop request stays set) waits for the next vote, at most kStopVoteEvery - 1 batches
// (the epoch's end votes too).
inline bool StopBeforeBatch(DataParallel* dp, int64_t b, bool mine) {
  if (dp == nullptr) return mine;
  return b % kStopVoteEvery == 0 && dp->Any(mine);
}

// Replaces every logged value by its mean over the ranks (every rank logs the same keys).
inline void AverageLogs(DataParallel& dp, std::vector<std::pair<std::string, double>>& logs) {
  std::vector<double> values;
  for (const auto& kv : logs) values.push_back(kv.second);
  dp.Average(values);
  for (size_t k = 0; k < logs.size(); ++k) logs[k].second = values[k];
}

}  // namespace nt
