// distributed_group.cc — nt.distributed's native side: init (TCPStore, rank 0 hosting it, then a
// Gloo or NCCL group laid out in the store as Python's init_process_group lays it out, so Python
// ranks can join), destroy, and the collectives. A collective is enqueued on the JS thread (so
// every rank issues them in its call order) and waited for on a thread of its own.
#include "distributed_group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>
#ifdef NODETORCH_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <mutex>
#include <sstream>
#include <thread>

#include "args.h"
#include "async.h"
#include "spec_reader.h"

namespace nt {
namespace {

std::mutex groupMutex;
std::shared_ptr<ProcessGroupState> current;  // guarded by groupMutex

struct InitOptions {
  int rank = 0;
  int worldSize = 1;
  std::string masterAddr;
  int port = 29500;
  std::string backend = "gloo";
  std::chrono::milliseconds timeout{1800000};
  bool agentStore = false;   // torchrun's agent hosts the store: every rank is a client
  std::string storePrefix;   // torchrun's "/worker/attempt_<n>" (agent store only)
};

std::string RankList(const std::vector<int>& ranks) {
  std::ostringstream out;
  for (size_t i = 0; i < ranks.size(); ++i) out << (i ? ", " : "") << ranks[i];
  return out.str();
}

// Ranks whose Gloo rendezvous address is not in the Gloo backend's store (Gloo publishes each
// rank's under "<device>/<rank>"), i.e. the ranks that never joined.
std::vector<int> MissingRanks(c10d::Store& glooStore, int worldSize) {
  std::vector<int> missing;
  for (int r = 0; r < worldSize; ++r) {
    try {
      if (!glooStore.check({"0/" + std::to_string(r)})) missing.push_back(r);
    } catch (const std::exception&) {
      missing.push_back(r);
    }
  }
  return missing;
}

// The group's own store under Python's default-group name: "0" (libtorch 1), "0/" (libtorch 2).
c10::intrusive_ptr<c10d::Store> GroupStore(const c10::intrusive_ptr<c10d::Store>& store) {
  return c10::make_intrusive<c10d::PrefixStore>(TORCH_VERSION_MAJOR >= 2 ? "0/" : "0", store);
}

#if TORCH_VERSION_MAJOR >= 2
// libtorch 2: a process group holds one backend per device type, each in its own "<device>/" store.
c10::intrusive_ptr<c10d::Store> BackendStore(const c10::intrusive_ptr<c10d::Store>& store, const char* device) {
  return c10::make_intrusive<c10d::PrefixStore>(std::string(device) + "/", store);
}

template <typename B>
c10::intrusive_ptr<c10d::ProcessGroup> AsGroup(c10::intrusive_ptr<B> backend, const c10::intrusive_ptr<c10d::Store>& store, const InitOptions& o,
                                               at::DeviceType device) {
  auto group = c10::make_intrusive<c10d::ProcessGroup>(store, o.rank, o.worldSize);
  const auto type = device == at::kCPU ? c10d::ProcessGroup::BackendType::GLOO : c10d::ProcessGroup::BackendType::NCCL;
  group->setDefaultBackend(type);
  group->setBackend(device, type, backend);
  return group;
}
#else
// libtorch 1: the backend is the process group.
c10::intrusive_ptr<c10d::Store> BackendStore(const c10::intrusive_ptr<c10d::Store>& store, const char*) { return store; }

template <typename B>
c10::intrusive_ptr<c10d::ProcessGroup> AsGroup(c10::intrusive_ptr<B> backend, const c10::intrusive_ptr<c10d::Store>&, const InitOptions&, at::DeviceType) {
  return backend;
}
#endif

bool IsLoopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1"; }

c10::intrusive_ptr<c10d::ProcessGroup> CreateGloo(const c10::intrusive_ptr<c10d::Store>& store, const InitOptions& o) {
  auto options = c10d::ProcessGroupGloo::Options::create(o.timeout);
  // As Python: the interfaces named by GLOO_SOCKET_IFNAME, else the host's default address; a
  // loopback master address keeps the whole group on loopback.
  const char* ifnames = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifnames != nullptr && *ifnames != '\0') {
    std::stringstream names(ifnames);
    std::string name;
    while (std::getline(names, name, ',')) {
      if (!name.empty()) options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
    }
  } else if (IsLoopback(o.masterAddr)) {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else {
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  return AsGroup(c10::make_intrusive<c10d::ProcessGroupGloo>(BackendStore(store, "cpu"), o.rank, o.worldSize, options), store, o, at::kCPU);
}

c10::intrusive_ptr<c10d::ProcessGroup> CreateGroup(const c10::intrusive_ptr<c10d::Store>& store, const InitOptions& o) {
  if (o.backend == "gloo") return CreateGloo(store, o);
#ifdef NODETORCH_WITH_NCCL
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = o.timeout;
  return AsGroup(c10::make_intrusive<c10d::ProcessGroupNCCL>(BackendStore(store, "cuda"), o.rank, o.worldSize, options), store, o, at::kCUDA);
#else
  throw std::logic_error("unreachable: nccl refused before the rendezvous");
#endif
}

#ifdef NODETORCH_WITH_NCCL
constexpr bool kHasNccl = true;
#else
constexpr bool kHasNccl = false;
#endif

// Python's _store_based_barrier: every rank adds 1 to the key and waits for the world size.
void StoreBarrier(c10d::Store& store, const InitOptions& o) {
  const std::string key = "store_based_barrier_key:1";
  store.add(key, 1);
  const auto deadline = std::chrono::steady_clock::now() + o.timeout;
  int64_t arrived = 0;
  while ((arrived = store.add(key, 0)) < o.worldSize) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("only " + std::to_string(arrived) + " of " + std::to_string(o.worldSize) + " ranks reached the start barrier within " +
                               std::to_string(o.timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

class InitWorker : public PromiseWorker {
 public:
  explicit InitWorker(Napi::Env env, InitOptions o) : PromiseWorker(env, "distributed.init"), o_(std::move(o)) {}

 protected:
  void Run() override {
    if (o_.backend == "nccl" && !kHasNccl) {
      throw std::runtime_error("backend 'nccl' needs a libtorch with CUDA and NCCL (this addon was built without it); use 'gloo'");
    }
    const std::string where = o_.masterAddr + ":" + std::to_string(o_.port);
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(o_.port);
    so.isServer = o_.rank == 0 && !o_.agentStore;
    so.numWorkers = static_cast<size_t>(o_.worldSize);
    // Clients count themselves in (a Python rank 0 waits for that); our server does not block on it:
    // the group rendezvous below waits for every rank and names the missing ones.
    so.waitWorkers = !so.isServer;
    so.timeout = o_.timeout;
    so.multiTenant = true;
    c10::intrusive_ptr<c10d::Store> tcp;
    try {
      tcp = c10::make_intrusive<c10d::TCPStore>(o_.masterAddr, so);
    } catch (const std::exception& e) {
      if (so.isServer) throw std::runtime_error("rank 0 could not host the store on " + where + ": " + e.what());
      throw std::runtime_error("rank " + std::to_string(o_.rank) + " could not reach the store on " + where + " within " +
                               std::to_string(o_.timeout.count()) + " ms (is rank 0 running?): " + e.what());
    }
    c10::intrusive_ptr<c10d::Store> root = tcp;
    if (!o_.storePrefix.empty()) root = c10::make_intrusive<c10d::PrefixStore>(o_.storePrefix, tcp);
    auto store = c10::make_intrusive<c10d::PrefixStore>("default_pg", root);
    auto groupStore = GroupStore(store);
    c10::intrusive_ptr<c10d::ProcessGroup> group;
    try {
      group = CreateGroup(groupStore, o_);
    } catch (const std::exception&) {
      if (o_.backend != "gloo") throw;
      std::vector<int> missing = MissingRanks(*BackendStore(groupStore, "cpu"), o_.worldSize);
      if (missing.empty()) throw;
      throw std::runtime_error(std::string(missing.size() == 1 ? "rank " : "ranks ") + RankList(missing) + " of " + std::to_string(o_.worldSize) +
                               " did not join within " + std::to_string(o_.timeout.count()) + " ms (store " + where + ")");
    }
    // As Python's init_process_group: the store-based barrier (1.x; 2.x skips it by default), then
    // the group's sequence number (rank 0 publishes it after the barrier, the others wait for it).
    if (TORCH_VERSION_MAJOR < 2) StoreBarrier(*store, o_);
    group->setSequenceNumberForGroup();
    auto state = std::make_shared<ProcessGroupState>();
    state->store = store;
    state->group = group;
    state->rank = o_.rank;
    state->worldSize = o_.worldSize;
    state->backend = o_.backend;
    state->timeout = o_.timeout;
    std::lock_guard<std::mutex> lock(groupMutex);
    current = std::move(state);
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  InitOptions o_;
};

// ---- collectives ----------------------------------------------------------------------------

c10d::ReduceOp ReduceOpArg(const std::string& op) {
  if (op == "sum" || op == "avg") return c10d::ReduceOp::SUM;
  if (op == "max") return c10d::ReduceOp::MAX;
  if (op == "min") return c10d::ReduceOp::MIN;
  if (op == "product") return c10d::ReduceOp::PRODUCT;
  throw std::out_of_range("op must be 'sum', 'avg', 'max', 'min' or 'product', got '" + op + "'");
}

const at::Tensor& CollectiveTensor(const Napi::CallbackInfo& info, size_t i) {
  const at::Tensor& t = TensorArg(info, i);
  if (!t.is_contiguous()) throw std::invalid_argument("the tensor must be contiguous (call .contiguous() first)");
  return t;
}

// Waits off the JS thread for enqueued work, then runs `finish` (on that thread) and resolves
// with `result` (a tensor, an array of tensors, or nothing).
class WaitWorker : public PromiseWorker {
 public:
  WaitWorker(Napi::Env env, const char* op, std::shared_ptr<ProcessGroupState> g, c10::intrusive_ptr<c10d::Work> work, std::function<void()> finish,
             std::vector<at::Tensor> result, bool many)
      : PromiseWorker(env, op), g_(std::move(g)), work_(std::move(work)), finish_(std::move(finish)), result_(std::move(result)), many_(many) {}

 protected:
  void Run() override {
    work_->wait();
    if (finish_) finish_();
  }
  Napi::Value Result(Napi::Env env) override {
    if (!many_) return result_.empty() ? env.Undefined() : Wrap(env, result_[0]);
    Napi::Array out = Napi::Array::New(env, result_.size());
    for (uint32_t k = 0; k < result_.size(); ++k) out.Set(k, Wrap(env, result_[k]));
    return out;
  }

 private:
  std::shared_ptr<ProcessGroupState> g_;  // keeps the group alive while its work runs
  c10::intrusive_ptr<c10d::Work> work_;
  std::function<void()> finish_;
  std::vector<at::Tensor> result_;
  bool many_;
};

Napi::Value StartWait(const Napi::CallbackInfo& info, std::shared_ptr<ProcessGroupState> g, c10::intrusive_ptr<c10d::Work> work,
                      std::function<void()> finish = {}, std::vector<at::Tensor> result = {}, bool many = false) {
  return (new WaitWorker(info.Env(), OpName(info), std::move(g), std::move(work), std::move(finish), std::move(result), many))->StartThread();
}

InitOptions ReadInitOptions(const Napi::CallbackInfo& info) {
  SpecReader s(info[0].As<Napi::Object>(), "distributed.init", "options");
  InitOptions o;
  o.rank = static_cast<int>(s.Int("rank"));
  o.worldSize = static_cast<int>(s.Int("worldSize"));
  o.masterAddr = s.String("masterAddr");
  o.port = static_cast<int>(s.Int("masterPort"));
  o.backend = s.String("backend");
  o.timeout = std::chrono::milliseconds(s.Int("timeoutMs"));
  o.agentStore = s.Bool("agentStore", false);
  if (s.Has("storePrefix")) o.storePrefix = s.String("storePrefix");
  return o;
}

const OpSpec kDistributedOps[] = {
    // ({ rank, worldSize, masterAddr, masterPort, backend, timeoutMs, agentStore?, storePrefix? }) → Promise<void>
    {"distributedInit",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       {
         std::lock_guard<std::mutex> lock(groupMutex);
         if (current) throw std::logic_error("the process group is already initialized (call destroy() first)");
       }
       return (new InitWorker(i.Env(), ReadInitOptions(i)))->StartThread();
     }},
    {"distributedDestroy",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       std::lock_guard<std::mutex> lock(groupMutex);
       current.reset();
       return i.Env().Undefined();
     }},
    {"distributedHasNccl", [](const Napi::CallbackInfo& i) -> Napi::Value { return Napi::Boolean::New(i.Env(), kHasNccl); }},
    // () → { rank, worldSize, backend } | null
    {"distributedState",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       std::lock_guard<std::mutex> lock(groupMutex);
       if (!current) return i.Env().Null();
       Napi::Object out = Napi::Object::New(i.Env());
       out.Set("rank", current->rank);
       out.Set("worldSize", current->worldSize);
       out.Set("backend", current->backend);
       return out;
     }},
    // (tensor, op) → Promise<void>; in place
    {"distributedAllReduce",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto g = CurrentGroup();
       g->RequireNoTraining(OpName(i));
       at::Tensor t = CollectiveTensor(i, 0);
       const std::string op = StringArg(i, 1);
       c10d::AllreduceOptions opts;
       opts.reduceOp = ReduceOpArg(op);
       if (op == "avg" && !at::isFloatingType(t.scalar_type())) throw std::invalid_argument("'avg' needs a floating-point tensor");
       std::vector<at::Tensor> ts{t};
       auto work = g->group->allreduce(ts, opts);
       const int world = g->worldSize;
       std::function<void()> finish;
       if (op == "avg") finish = [t, world]() mutable { t.div_(world); };
       return StartWait(i, g, work, finish);
     }},
    // (tensor, src) → Promise<void>; in place
    {"distributedBroadcast",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto g = CurrentGroup();
       g->RequireNoTraining(OpName(i));
       at::Tensor t = CollectiveTensor(i, 0);
       const int64_t src = IntArg(i, 1);
       if (src < 0 || src >= g->worldSize) throw std::out_of_range("src must be a rank in [0, " + std::to_string(g->worldSize) + "), got " + std::to_string(src));
       c10d::BroadcastOptions opts;
       opts.rootRank = src;
       std::vector<at::Tensor> ts{t};
       return StartWait(i, g, g->group->broadcast(ts, opts));
     }},
    // (tensor) → Promise<Tensor[]>: every rank's tensor, in rank order
    {"distributedAllGather",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto g = CurrentGroup();
       g->RequireNoTraining(OpName(i));
       at::Tensor t = CollectiveTensor(i, 0);
       std::vector<at::Tensor> parts;
       for (int r = 0; r < g->worldSize; ++r) parts.push_back(at::empty_like(t));
       std::vector<std::vector<at::Tensor>> outputs{parts};
       std::vector<at::Tensor> inputs{t};
       auto work = g->group->allgather(outputs, inputs);
       return StartWait(i, g, work, {}, parts, true);
     }},
    // (tensor [worldSize * k, ...], op) → Promise<Tensor [k, ...]>: this rank's slice of the reduction.
    // Gloo has no reduce_scatter: an allreduce, then the slice (NCCL would scatter natively).
    {"distributedReduceScatter",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto g = CurrentGroup();
       g->RequireNoTraining(OpName(i));
       const at::Tensor& input = CollectiveTensor(i, 0);
       const std::string op = StringArg(i, 1);
       if (input.dim() == 0 || input.size(0) % g->worldSize != 0) {
         throw std::out_of_range("the first dimension must be a multiple of the world size (" + std::to_string(g->worldSize) + "), got shape " +
                                     c10::str(input.sizes()));
       }
       if (op == "avg" && !at::isFloatingType(input.scalar_type())) throw std::invalid_argument("'avg' needs a floating-point tensor");
       c10d::AllreduceOptions opts;
       opts.reduceOp = ReduceOpArg(op);
       at::Tensor work_tensor = input.clone();
       std::vector<at::Tensor> ts{work_tensor};
       auto work = g->group->allreduce(ts, opts);
       const int64_t k = input.size(0) / g->worldSize;
       at::Tensor out = work_tensor.narrow(0, g->rank * k, k);
       const int world = g->worldSize;
       std::function<void()> finish;
       if (op == "avg") finish = [out, world]() mutable { out.div_(world); };
       return StartWait(i, g, work, finish, {out});
     }},
    {"distributedBarrier",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto g = CurrentGroup();
       g->RequireNoTraining(OpName(i));
       return StartWait(i, g, g->group->barrier());
     }},
};

}  // namespace

void ProcessGroupState::AddDataParallel(std::weak_ptr<const Owner> owner) {
  std::lock_guard<std::mutex> lock(mutex_);
  dataParallel_.push_back(std::move(owner));
}

void ProcessGroupState::RequireNoTraining(const char* op) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& weak : dataParallel_) {
    std::shared_ptr<const Owner> owner = weak.lock();
    if (!owner) continue;
    const char* session = owner->Session();
    if (session != nullptr) {
      throw BusyError(op, std::string("a data-parallel model of this process is training (") + session +
                              "): its collectives and this one could pair differently on each rank; run collectives before or after it");
    }
  }
}

std::shared_ptr<ProcessGroupState> CurrentGroup() {
  std::lock_guard<std::mutex> lock(groupMutex);
  if (!current) throw std::logic_error("no process group: call nt.distributed.init() first");
  return current;
}

void RegisterDistributedGroup(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kDistributedOps); }

}  // namespace nt
