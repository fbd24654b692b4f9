// module_graph.h — a model's native module graph: the layer specs built by lib/models turned into
// libtorch nn modules registered under their PyTorch state_dict names (nn.Sequential indices "0",
// "1", ... for Sequential models; layer names, dots nesting, for functional models), and the
// directed acyclic graph of calls between them (module calls and merges such as add/concatenate).
// Also what training needs to know about it (regularized weights, fusable final activations).
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

// One call in the graph. Values are numbered: the graph inputs first (0..numInputs-1), then one
// per node in order (node k produces value numInputs + k).
struct GraphNode {
  int module = -1;          // index into ModuleGraph::modules, or -1 for a merge
  std::string merge;        // add, subtract, multiply, average, maximum, minimum, concatenate
  int64_t axis = 1;         // concatenate
  std::vector<int> inputs;  // value indices
  std::string where;        // "layer 'name' (kind)" for error messages
};

class ModuleGraph {
 public:
  std::vector<torch::nn::AnyModule> modules;
  std::vector<std::string> kinds;             // spec kind of each module
  std::vector<GraphNode> nodes;               // in execution (topological) order
  int numInputs = 1;
  std::vector<int> outputs;                   // value index of each model output
  std::vector<RegularizedWeight> regularized; // weights with an L1/L2 penalty

  // All outputs for the inputs (one tensor per graph input).
  std::vector<at::Tensor> Run(const std::vector<at::Tensor>& inputs) { return Execute(inputs, false); }
  // The training forward: outputs whose final activation is fused into the loss (see Fuse) are
  // returned before that activation (as logits).
  std::vector<at::Tensor> RunLogits(const std::vector<at::Tensor>& inputs) { return Execute(inputs, true); }
  // The final activation of output `k` applied to its logits (identity when not fused).
  at::Tensor ApplyTail(size_t k, const at::Tensor& logits);
  // Marks which outputs' final activations the loss absorbs (softmax/sigmoid before a logits loss).
  void Fuse(const std::vector<bool>& fuse);
  // Single-input, single-output forward (DCGAN generators and discriminators, Sequential models).
  at::Tensor Forward(const at::Tensor& x);

  std::vector<at::Tensor> Parameters() const { return root_->parameters(); }
  torch::OrderedDict<std::string, at::Tensor> NamedParameters() const { return root_->named_parameters(); }
  torch::OrderedDict<std::string, at::Tensor> NamedBuffers() const { return root_->named_buffers(); }
  void SetTraining(bool on) { root_->train(on); }
  bool IsTraining() const { return root_->is_training(); }
  void To(const at::Device& device) { root_->to(device); }
  // The registered name (state_dict prefix, e.g. "layer1.0.conv1") of module i.
  const std::string& ModuleName(size_t i) const { return names_[i]; }
  // The sum of the L1/L2 penalties (a 0-dim tensor on the weights' device), or undefined if none.
  at::Tensor Penalty() const;

  // Registers module `m` under `name` (dots create nested containers, as in PyTorch).
  void AddModule(const std::string& name, torch::nn::AnyModule m, const std::string& kind);
  // Checks the node list (indices in range, inputs defined before use) and plans when each
  // intermediate value can be released; call after filling nodes/outputs.
  void Finalize();

 private:
  std::vector<at::Tensor> Execute(const std::vector<at::Tensor>& inputs, bool logits);

  std::shared_ptr<torch::nn::Module> root_ = std::make_shared<torch::nn::Module>("Model");
  std::map<std::string, std::shared_ptr<torch::nn::Module>> containers_;
  std::vector<std::string> names_;
  std::vector<int> fused_;                   // per output: the node whose input is its logits, or -1
  std::vector<std::vector<int>> releaseAfter_;  // per node: values no later node or output needs
  // The logits forward's plan (set by Fuse): nodes it skips, and releaseAfter_ less the logits it returns.
  std::vector<bool> logitsSkip_;
  std::vector<std::vector<int>> logitsReleaseAfter_;
};

// Builds the graph from { modules: [{ name, spec }], nodes: [{ module | merge, axis?, inputs }],
// numInputs, outputs } where each spec is { kind, ...options, init?, regularizer? }.
// Throws JS errors naming `op` and the offending layer.
ModuleGraph BuildModuleGraph(Napi::Object desc, const char* op);

}  // namespace nt
