// module_graph.h — a model's native module graph: the resolved layer specs built by lib/models
// turned into libtorch nn modules (registered under PyTorch nn.Sequential names "0", "1", ...),
// plus what training needs to know about them (regularized weights, a fusable final activation).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace nt {

struct RegularizedWeight {
  at::Tensor weight;
  double l1 = 0;
  double l2 = 0;
};

struct ModuleGraph {
  torch::nn::Sequential net;
  std::vector<std::string> kinds;             // spec kind of each module, by index
  std::vector<RegularizedWeight> regularized;  // weights with an L1/L2 penalty

  // Forward through modules [start, end) (end < 0: to the last one).
  at::Tensor Forward(const at::Tensor& x, int64_t start = 0, int64_t end = -1);
  std::vector<at::Tensor> Parameters() const { return net->parameters(); }
  torch::OrderedDict<std::string, at::Tensor> NamedParameters() const { return net->named_parameters(); }
  torch::OrderedDict<std::string, at::Tensor> NamedBuffers() const { return net->named_buffers(); }
  void SetTraining(bool on) { net->train(on); }
  bool IsTraining() const { return net->is_training(); }
  void To(const at::Device& device) { net->to(device); }
  // The sum of the L1/L2 penalties (a 0-dim tensor on the weights' device), or undefined if none.
  at::Tensor Penalty() const;
};

// Builds the graph from an array of primitive specs ({ kind, ...options, init?, regularizer? }).
// Throws JS errors naming `op` and the offending layer index.
ModuleGraph BuildModuleGraph(Napi::Array specs, const char* op);

}  // namespace nt
