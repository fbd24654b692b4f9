// distributed_group.h — the process's c10d process group (one rank per process, as in PyTorch):
// the TCPStore it rendezvoused through and the Gloo (or NCCL) group over it. Included only by the
// distributed_*.cc files: c10d headers are slow to compile.
#pragma once
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ownership.h"

namespace nt {

struct ProcessGroupState {
  c10::intrusive_ptr<c10d::Store> store;       // the default group's store ("default_pg" prefix, as Python's)
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  int rank = 0;
  int worldSize = 1;
  std::string backend;
  std::chrono::milliseconds timeout{0};

  // The models wrapped for data-parallel training on this group (by their owners): while one of
  // them trains (a fit or GAN training session), its collectives run at points the JS thread
  // does not see, so a collective started from JS could pair with a different one on each rank.
  // Collectives from JS are refused meanwhile (RequireNoTraining).
  void AddDataParallel(std::weak_ptr<const Owner> owner);
  // Throws a BusyError naming `op` while a wrapped model trains (JS thread).
  void RequireNoTraining(const char* op);

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<const Owner>> dataParallel_;
};

// The initialized group; throws "no process group: call nt.distributed.init() first" otherwise.
// Work that outlives destroy() keeps its own reference.
std::shared_ptr<ProcessGroupState> CurrentGroup();

}  // namespace nt
