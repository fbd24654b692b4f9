// distributed_reducer.cc — data-parallel training as PyTorch's DistributedDataParallel does it,
// on the same c10d machinery: at wrap, parameter shapes verified across ranks and parameters and
// buffers broadcast from rank 0 (and, on request, BatchNorm made SyncBatchNorm); each step, buffers
// broadcast from rank 0 and a c10d Reducer that averages gradients in buckets (1 MiB first, then
// 25 MiB by default) while backward runs.
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#include <torch/version.h>

#include <random>

#include "args.h"
#include "async.h"
#include "distributed_group.h"
#include "distributed_sync_bn.h"
#include "model_wrap.h"
#include "spec_reader.h"

namespace nt {
namespace {

constexpr size_t kBroadcastBucketBytes = 250u << 20;  // DDP's broadcast_bucket_size

// Runs `step` (collectives with the other ranks); a failure says what it means before the transport's words.
template <typename F>
auto WithPeers(F step) -> decltype(step()) {
  try {
    return step();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("data-parallel step failed: another rank exited or cannot be reached (") + e.what() + ")");
  }
}

struct WrapOptions {
  bool findUnusedParameters = false;
  bool broadcastBuffers = true;
  bool syncBatchNorm = false;
  int64_t bucketBytes = 25 << 20;
  int64_t firstBucketBytes = 1 << 20;
  c10::optional<uint64_t> seed;  // rank 0's is used by all
};

class ReducerDataParallel : public DataParallel {
 public:
  ReducerDataParallel(std::shared_ptr<ProcessGroupState> g, NativeModel& m, const WrapOptions& o) : g_(std::move(g)), o_(o) {
    comm_ = g_->backend == "nccl" ? m.device : at::Device(at::kCPU);
    std::vector<at::Tensor> params;
    std::unordered_map<size_t, std::string> names;
    for (const auto& kv : m.graph.NamedParameters()) {
      if (!kv.value().requires_grad()) continue;
      names[params.size()] = kv.key();
      params.push_back(kv.value());
    }
    TORCH_CHECK(!params.empty(), "the model has no trainable parameters");
    for (const auto& kv : m.graph.NamedBuffers()) buffers_.push_back(kv.value());
    c10d::verify_params_across_processes(g_->group, params, c10::nullopt);
    {
      torch::NoGradGuard noGrad;
      std::vector<at::Tensor> state = params;
      state.insert(state.end(), buffers_.begin(), buffers_.end());
      c10d::broadcast_coalesced(g_->group, state, kBroadcastBucketBytes, 0);
    }
    at::Tensor seed = at::tensor({static_cast<int64_t>(o.seed.value_or(std::random_device()()))}, at::kLong).to(comm_);
    std::vector<at::Tensor> seedBuf{seed};
    g_->group->broadcast(seedBuf)->wait();
    seed_ = static_cast<uint64_t>(seed.cpu().item<int64_t>());
    // As DDP: buckets assigned in reverse parameter order (gradients arrive roughly in that order).
    auto assignment = c10d::compute_bucket_assignment_by_size(
        params, {static_cast<size_t>(o.firstBucketBytes), static_cast<size_t>(o.bucketBytes)}, std::vector<bool>(params.size(), false));
    std::vector<std::vector<size_t>> buckets = std::get<0>(assignment);
    std::vector<size_t> limits = std::get<1>(assignment);
    std::reverse(buckets.begin(), buckets.end());
    std::reverse(limits.begin(), limits.end());
#if TORCH_VERSION_MAJOR >= 2
    reducer_ = std::make_unique<c10d::Reducer>(params, buckets, g_->group, std::vector<bool>(params.size(), false), o.bucketBytes, o.findUnusedParameters,
                                               false, names, o.firstBucketBytes, false, false, std::vector<int64_t>{});
#else
    reducer_ = std::make_unique<c10d::Reducer>(params, buckets, limits, g_->group, std::vector<bool>(params.size(), false), o.bucketBytes,
                                               o.findUnusedParameters, false, names, o.firstBucketBytes);
#endif
  }

  Shard DataShard() const override { return {g_->rank, g_->worldSize, seed_}; }

  void BeforeForward() override {
    WithPeers([&] {
      reducer_->prepare_for_forward();
      reducer_->rebuild_buckets();
      if (o_.broadcastBuffers && !buffers_.empty()) {
        torch::NoGradGuard noGrad;
        c10d::broadcast_coalesced(g_->group, buffers_, kBroadcastBucketBytes, 0);
      }
    });
  }

  void Backward(const at::Tensor& loss) override {
    reducer_->prepare_for_backward(o_.findUnusedParameters ? std::vector<at::Tensor>{loss} : std::vector<at::Tensor>{});
    WithPeers([&] { loss.backward(); });
  }

  void Average(std::vector<double>& values) override {
    if (values.empty()) return;
    at::Tensor t = at::tensor(values, at::kDouble).to(comm_);
    std::vector<at::Tensor> buf{t};
    WithPeers([&] { g_->group->allreduce(buf)->wait(); });
    t = t.cpu() / static_cast<double>(g_->worldSize);
    for (size_t k = 0; k < values.size(); ++k) values[k] = t[k].item<double>();
  }

  bool Any(bool mine) override {
    at::Tensor t = at::tensor({mine ? 1 : 0}, at::kInt).to(comm_);
    std::vector<at::Tensor> buf{t};
    c10d::AllreduceOptions opts;
    opts.reduceOp = c10d::ReduceOp::MAX;
    WithPeers([&] { g_->group->allreduce(buf, opts)->wait(); });
    return t.cpu().item<int>() != 0;
  }

 private:
  std::shared_ptr<ProcessGroupState> g_;
  WrapOptions o_;
  at::Device comm_{at::kCPU};
  std::vector<at::Tensor> buffers_;
  uint64_t seed_ = 0;
  std::unique_ptr<c10d::Reducer> reducer_;
};

// Builds the data-parallel state (collectives with every rank) off the JS thread, then installs it.
class WrapWorker : public PromiseWorker {
 public:
  WrapWorker(Napi::Env env, std::shared_ptr<NativeModel> m, std::shared_ptr<ProcessGroupState> g, WrapOptions o)
      : PromiseWorker(env, "distributed.wrap"), m_(std::move(m)), g_(std::move(g)), o_(o) { Uses(m_->owner, "distributed.wrap"); }

 protected:
  void Run() override {
    Owner::Hold hold = m_->owner.Write("distributed.wrap");  // the broadcast writes the weights
    auto dataParallel = std::make_shared<ReducerDataParallel>(g_, *m_, o_);
    if (o_.syncBatchNorm) ConvertSyncBatchNorm(m_->graph, g_);
    m_->dataParallel = std::move(dataParallel);
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<NativeModel> m_;
  std::shared_ptr<ProcessGroupState> g_;
  WrapOptions o_;
};

const OpSpec kDataParallelOps[] = {
    // (model, { findUnusedParameters, broadcastBuffers, syncBatchNorm, bucketCapMb, seed? }) → Promise<void>
    {"distributedWrap",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto m = ModelArg(i, 0);
       if (m->dataParallel) throw std::logic_error("the model is already data-parallel");
       auto g = CurrentGroup();
       SpecReader s(i[1].As<Napi::Object>(), "distributed.wrap", "options");
       WrapOptions o;
       o.findUnusedParameters = s.Bool("findUnusedParameters", false);
       o.broadcastBuffers = s.Bool("broadcastBuffers", true);
       o.syncBatchNorm = s.Bool("syncBatchNorm", false);
       o.bucketBytes = static_cast<int64_t>(s.Number("bucketCapMb", 25) * (1 << 20));
       if (s.Has("seed")) o.seed = static_cast<uint64_t>(s.Int("seed"));
       m->owner.RequireIdle("distributed.wrap");  // not while fit or another call uses the model
       g->AddDataParallel(std::shared_ptr<const Owner>(m, &m->owner));
       return (new WrapWorker(i.Env(), m, g, o))->StartThread();
     }},
    {"distributedIsWrapped", [](const Napi::CallbackInfo& i) -> Napi::Value { return Napi::Boolean::New(i.Env(), ModelArg(i, 0)->dataParallel != nullptr); }},
};

}  // namespace

void RegisterDistributedReducer(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kDataParallelOps); }

}  // namespace nt
