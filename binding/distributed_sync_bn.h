// distributed_sync_bn.h — SyncBatchNorm for data-parallel models (nt.distributed.wrap(model,
// { syncBatchNorm: true })): the model's BatchNorm layers normalize with the statistics of the
// whole global batch, as PyTorch's SyncBatchNorm.
#pragma once
#include <memory>

#include "distributed_group.h"
#include "module_graph.h"

namespace nt {

// Makes every batchNorm1d/batchNorm2d module of `graph` synchronized over `g` in training mode
// (same tensors, same state_dict names; evaluation is unchanged). Call with the model held for
// writing.
void ConvertSyncBatchNorm(ModuleGraph& graph, const std::shared_ptr<ProcessGroupState>& g);

}  // namespace nt
