// distributed_sync_bn.cc — PyTorch's SyncBatchNorm algorithm on any device (PyTorch's own kernels
// for it are CUDA-only): in a training forward each rank sums its per-channel x and x² (in
// float64) and its sample count, one all-reduce makes them the global batch's, and the mean and
// biased variance of the global batch normalize the input; the running statistics take the
// unbiased variance over the global count, as BatchNorm does. The all-reduce is differentiable
// (its backward all-reduces the gradients of those sums), so backward adds every rank's share of
// the gradient through the statistics: the sums of dy and dy·(x - mean) PyTorch's backward
// all-reduces. Evaluation runs the BatchNorm module itself (running statistics, no collective).
#include "distributed_sync_bn.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <torch/version.h>

#include <stdexcept>
#include <string>

namespace nt {
namespace {

// Sums `t` (contiguous) over the ranks, in place; a failure says what it means.
void AllReduceInPlace(ProcessGroupState& g, at::Tensor& t) {
  std::vector<at::Tensor> buf{t};
  try {
    g.group->allreduce(buf)->wait();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("SyncBatchNorm: another rank exited or cannot be reached (") + e.what() + ")");
  }
}

// The backward of AllReduceSum: the gradient of a sum over ranks is the sum of the ranks' gradients.
class AllReduceSumBackward : public torch::autograd::Node {
 public:
  AllReduceSumBackward(std::shared_ptr<ProcessGroupState> g, const at::Tensor& like) : g_(std::move(g)), zeros_(at::zeros_like(like)) {}
  torch::autograd::variable_list apply(torch::autograd::variable_list&& grads) override {
    // Every rank all-reduces here (an undefined gradient counts as zeros) so the collectives pair up.
    at::Tensor sum = grads[0].defined() ? grads[0].contiguous().clone() : zeros_.clone();
    AllReduceInPlace(*g_, sum);
    return {sum};
  }
  std::string name() const override { return "SyncBatchNormAllReduceBackward"; }

 private:
  std::shared_ptr<ProcessGroupState> g_;
  at::Tensor zeros_;
};

// The sum of `x` over the ranks, differentiable.
at::Tensor AllReduceSum(const std::shared_ptr<ProcessGroupState>& g, const at::Tensor& x) {
  at::Tensor out = x.detach().contiguous().clone();
  AllReduceInPlace(*g, out);
  if (torch::autograd::compute_requires_grad(x)) {
#if TORCH_VERSION_MAJOR >= 2
    auto node = c10::make_intrusive<AllReduceSumBackward>(g, out);  // libtorch 2.13's nodes are intrusive_ptr targets
#else
    std::shared_ptr<AllReduceSumBackward> node(new AllReduceSumBackward(g, out), torch::autograd::deleteNode);
#endif
    node->set_next_edges(torch::autograd::collect_next_edges(x));
    torch::autograd::set_history(out, node);
  }
  return out;
}

// Stands in for a BatchNorm1d/2d module (`Impl`) in the graph's call slots: it registers the same
// tensors under the same names (so exports see them); the BatchNorm module stays registered in the
// model, which keeps its mode, its device moves and its state_dict.
template <typename Impl>
class SyncBatchNormImpl : public torch::nn::Module {
 public:
  SyncBatchNormImpl(std::shared_ptr<Impl> bn, std::shared_ptr<ProcessGroupState> g)
      : torch::nn::Module("SyncBatchNorm"), bn_(std::move(bn)), g_(std::move(g)) {
    for (const auto& p : bn_->named_parameters(false)) register_parameter(p.key(), p.value(), p.value().requires_grad());
    for (const auto& b : bn_->named_buffers(false)) register_buffer(b.key(), b.value());
  }

  at::Tensor forward(const at::Tensor& x) {
    if (!bn_->is_training()) return bn_->forward(x);
    const int64_t channels = bn_->options.num_features();
    TORCH_CHECK(x.dim() >= 2 && x.size(1) == channels, "SyncBatchNorm: expected an input of shape [N, ", channels, ", ...], got ", x.sizes());
    std::vector<int64_t> dims{0};
    for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
    const double count = static_cast<double>(x.numel() / channels);
    at::Tensor local = at::cat({at::sum(x, dims, false, at::kDouble), at::sum(x * x, dims, false, at::kDouble),
                                at::full({1}, count, x.options().dtype(at::kDouble))});
    at::Tensor global = AllReduceSum(g_, local);
    const double n = global[2 * channels].item<double>();
    TORCH_CHECK(n > 1, "SyncBatchNorm: expected more than 1 value per channel in the global batch when training, got ", n);
    at::Tensor mean = global.narrow(0, 0, channels) / n;
    at::Tensor var = (global.narrow(0, channels, channels) / n - mean * mean).clamp_min(0);  // biased, as normalization uses
    at::Tensor invstd = at::rsqrt(var + bn_->options.eps());
    if (bn_->options.track_running_stats()) UpdateRunningStats(mean.detach(), var.detach() * (n / (n - 1)));
    at::Tensor scale = invstd;
    at::Tensor shift = -mean * invstd;
    if (bn_->options.affine()) {
      scale = scale * bn_->weight;
      shift = shift * bn_->weight + bn_->bias;
    }
    std::vector<int64_t> shape(x.dim(), 1);
    shape[1] = channels;
    return x * scale.to(x.scalar_type()).view(shape) + shift.to(x.scalar_type()).view(shape);
  }

 private:
  // As BatchNorm: an exponential average with `momentum` (nodetorch's BatchNorm always has one;
  // PyTorch's momentum None, a cumulative average, is not offered).
  void UpdateRunningStats(const at::Tensor& mean, const at::Tensor& unbiasedVar) {
    torch::NoGradGuard noGrad;
    bn_->num_batches_tracked.add_(1);
    const double m = bn_->options.momentum().value();
    bn_->running_mean.mul_(1 - m).add_(mean.to(bn_->running_mean.scalar_type()), m);
    bn_->running_var.mul_(1 - m).add_(unbiasedVar.to(bn_->running_var.scalar_type()), m);
  }

  std::shared_ptr<Impl> bn_;
  std::shared_ptr<ProcessGroupState> g_;
};

template <typename Impl>
bool Convert(torch::nn::AnyModule& slot, const std::shared_ptr<ProcessGroupState>& g) {
  auto bn = std::dynamic_pointer_cast<Impl>(slot.ptr());
  if (!bn) return false;
  slot = torch::nn::AnyModule(std::make_shared<SyncBatchNormImpl<Impl>>(bn, g));
  return true;
}

}  // namespace

void ConvertSyncBatchNorm(ModuleGraph& graph, const std::shared_ptr<ProcessGroupState>& g) {
  for (auto& slot : graph.modules) {
    if (!Convert<torch::nn::BatchNorm1dImpl>(slot, g)) Convert<torch::nn::BatchNorm2dImpl>(slot, g);
  }
}

}  // namespace nt
