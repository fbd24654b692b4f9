// context.h — stand-in for the distributed-autograd header that Debian's libtorch-dev does not ship
// but c10d's reducer.hpp includes. reducer.hpp uses only these two names (a callback type and a
// pointer type); declaring them leaves Reducer's layout unchanged. Distributed autograd itself
// (RPC) is not used by nodetorch and must not be used through this header.
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};

using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
