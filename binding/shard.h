// shard.h — DistributedSampler's sharding of an epoch's sample order: this rank's disjoint share,
// padded (by repeating the order's first samples) so that every rank gets the same count.
#pragma once
#include <ATen/ATen.h>

#include "data_parallel.h"

namespace nt {

// The epoch's order of `n` samples for this rank: a permutation drawn from (shard.seed, epoch) —
// the same on every rank — when `shuffle`, else 0..n-1; then every worldSize-th entry from `rank`.
at::Tensor ShardOrder(int64_t n, const Shard& shard, int64_t epoch, bool shuffle);

// Every worldSize-th entry of `order` from `rank`, after padding it to a multiple of worldSize.
at::Tensor ShardRows(const at::Tensor& order, const Shard& shard);

}  // namespace nt
