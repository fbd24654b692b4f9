// shard.cc — DistributedSampler's arithmetic: total = ceil(n / world) * world, the order padded
// with its own head up to total, rank r taking entries r, r + world, r + 2 world, ...
#include "shard.h"

#include <ATen/CPUGeneratorImpl.h>

namespace nt {

at::Tensor ShardRows(const at::Tensor& order, const Shard& shard) {
  const int64_t n = order.size(0);
  TORCH_CHECK(n > 0, "no samples to shard");
  const int64_t perRank = (n + shard.worldSize - 1) / shard.worldSize;
  const int64_t total = perRank * shard.worldSize;
  at::Tensor padded = order;
  while (padded.size(0) < total) padded = at::cat({padded, order.narrow(0, 0, std::min(n, total - padded.size(0)))});
  return padded.slice(0, shard.rank, total, shard.worldSize).contiguous();
}

at::Tensor ShardOrder(int64_t n, const Shard& shard, int64_t epoch, bool shuffle) {
  at::Tensor order;
  if (shuffle) {
    at::Generator gen = at::detail::createCPUGenerator(shard.seed + static_cast<uint64_t>(epoch));
    order = at::randperm(n, gen, at::kLong);
  } else {
    order = at::arange(n, at::kLong);
  }
  return ShardRows(order, shard);
}

}  // namespace nt
