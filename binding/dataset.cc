// dataset.cc — datasets (handles), their prefetching batch source, and JS iteration over batches
// (datasetIterate / datasetNext: a promise the producer thread settles through the JS thread, so
// no libuv pool thread waits for a batch while sharp may need the pool to decode it).
#include "dataset.h"

#include "args.h"
#include "external.h"
#include "shard.h"
#include "spec_reader.h"
#include "tensor_batch_source.h"
#include "tensor_wrap.h"
#include "thread_count.h"
#include "warnings.h"

namespace nt {
namespace {

struct DatasetHandle {
  static constexpr uint64_t kMagic = 0x6e74446174617331ull;
  uint64_t magic = kMagic;
  std::shared_ptr<const NativeDataset> ds;
};

struct IteratorHandle {
  static constexpr uint64_t kMagic = 0x6e74497465723031ull;
  uint64_t magic = kMagic;
  std::shared_ptr<DatasetSource> source;
  std::shared_ptr<JsCaller> wake;  // brings the producer's "batch ready" to the JS thread
};

at::Generator Generator(uint64_t seed, int64_t epoch, uint64_t stream) {
  return at::detail::createCPUGenerator(seed * 1000003ull + static_cast<uint64_t>(epoch) * 2ull + stream);
}

Napi::Array Handles(Napi::Env env, const std::vector<at::Tensor>& ts) {
  Napi::Array arr = Napi::Array::New(env, ts.size());
  for (uint32_t i = 0; i < ts.size(); ++i) arr.Set(i, Wrap(env, ts[i]));
  return arr;
}

// Settles `deferred` with the iterator's next batch ([x[], y[]], or null at the end): now if one is
// ready, otherwise from the JS thread once the producer has one (no thread waits for it).
void SettleNext(Napi::Env env, std::weak_ptr<DatasetSource> weak, std::shared_ptr<JsCaller> caller, std::shared_ptr<Napi::Promise::Deferred> deferred) {
  try {
    std::shared_ptr<DatasetSource> source = weak.lock();
    Batch batch;
    bool ended = true;
    bool has = source && source->TryNext(batch, ended, [weak, caller, deferred] {
      caller->Call([weak, caller, deferred](Napi::Env e, Napi::Function) { SettleNext(e, weak, caller, deferred); });
    });
    if (!has && !ended) {
      caller->Ref(env, true);  // a pending batch keeps the process running
      return;
    }
    caller->Ref(env, false);
    if (!has) {
      deferred->Resolve(env.Null());
      return;
    }
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, Handles(env, batch.x));
    out.Set(1u, Handles(env, batch.y));
    deferred->Resolve(out);
  } catch (...) {
    caller->Ref(env, false);
    deferred->Reject(CurrentExceptionAsJs(env, "dataset.batches").Value());
  }
}

// ({ x: H[], y: H[], stream?: { fetch, count, hwc }, transforms: [], seed }) → dataset handle
Napi::Value Create(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) throw TypeErr(info.Env(), "dataset", "options must be an object");
  SpecReader s(info[0].As<Napi::Object>(), "dataset", "options");
  auto ds = std::make_shared<NativeDataset>();
  auto tensors = [&](const char* key) {
    std::vector<at::Tensor> out;
    Napi::Value v = s.Raw(key);
    if (!v.IsArray()) return out;
    Napi::Array arr = v.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(Unwrap(info.Env(), "dataset", arr.Get(i)).contiguous());
    return out;
  };
  ds->x = tensors("x");
  ds->y = tensors("y");
  if (s.Has("stream")) {
    SpecReader stream(s.Object("stream"), "dataset", "stream");
    Napi::Value fetch = stream.Raw("fetch");
    std::vector<int64_t> hwc = stream.Ints("hwc");
    if (!fetch.IsFunction() || hwc.size() != 3) throw TypeErr(info.Env(), "dataset", "stream needs fetch(indices, done) and hwc [H, W, C]");
    if (!ds->x.empty()) throw TypeErr(info.Env(), "dataset", "takes input tensors or a stream, not both");
    ds->loader = std::make_shared<JsSampleLoader>(info.Env(), fetch.As<Napi::Function>(), stream.Int("count"), std::move(hwc));
  }
  if (ds->x.empty() && !ds->loader) throw TypeErr(info.Env(), "dataset", "needs at least one input tensor");
  const int64_t n = ds->Size();
  for (const auto& t : ds->x) {
    if (t.size(0) != n) throw RangeErr(info.Env(), "dataset", "the inputs have different numbers of samples");
  }
  for (const auto& t : ds->y) {
    if (t.size(0) != n) {
      throw RangeErr(info.Env(), "dataset", "label count (" + std::to_string(t.size(0)) + ") differs from the sample count (" + std::to_string(n) + ")");
    }
  }
  Napi::Value transforms = s.Raw("transforms");
  if (transforms.IsArray()) ds->transforms = ReadTransforms(transforms.As<Napi::Array>(), "dataset");
  ds->seed = static_cast<uint64_t>(s.Number("seed", 0.0));
  return OwnedExternal(info.Env(), std::make_unique<DatasetHandle>(DatasetHandle{DatasetHandle::kMagic, std::move(ds)}));
}

const OpSpec kDatasetOps[] = {
    {"datasetCreate", Create},
    // (dataset, transforms[]) → a dataset sharing the samples, with the transforms appended
    {"datasetMap",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto ds = std::make_shared<NativeDataset>(*DatasetArg(i, 0));
       if (!i[1].IsArray()) throw TypeErr(i.Env(), "dataset.map", "transforms must be an array");
       for (Transform& t : ReadTransforms(i[1].As<Napi::Array>(), "dataset.map")) ds->transforms.push_back(std::move(t));
       return OwnedExternal(i.Env(), std::make_unique<DatasetHandle>(DatasetHandle{DatasetHandle::kMagic, std::move(ds)}));
     }},
    // (dataset, { batchSize, shuffle, dropLast, prefetch, epoch }) → iterator; batches start being prepared now
    {"datasetIterate",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto ds = DatasetArg(i, 0);
       LoaderOptions o = ReadLoaderOptions(i[1].As<Napi::Object>(), "dataset.batches");
       auto source = std::make_shared<DatasetSource>(ds, o);
       source->BeginEpoch(SpecReader(i[1].As<Napi::Object>(), "dataset.batches", "options").Int("epoch", 0));
       auto wake = std::make_shared<JsCaller>(i.Env(), Napi::Function::New(i.Env(), [](const Napi::CallbackInfo&) {}), "nodetorch.dataset.batches");
       return OwnedExternal(i.Env(), std::make_unique<IteratorHandle>(IteratorHandle{IteratorHandle::kMagic, std::move(source), std::move(wake)}));
     }},
    // (iterator) → Promise<[x[], y[]] | null>
    {"datasetNext",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto* it = ExternalOf<IteratorHandle>(i.Env(), i[0], OpName(i), "a dataset iterator");
       if (!it->source) throw PlainErr(i.Env(), "dataset.batches", "the iterator was closed");
       auto deferred = std::make_shared<Napi::Promise::Deferred>(Napi::Promise::Deferred::New(i.Env()));
       SettleNext(i.Env(), it->source, it->wake, deferred);
       return deferred->Promise();
     }},
    // (iterator) → undefined: stops its prefetch thread
    {"datasetClose",
     [](const Napi::CallbackInfo& i) -> Napi::Value {
       auto* it = ExternalOf<IteratorHandle>(i.Env(), i[0], OpName(i), "a dataset iterator");
       if (it->source) it->source->Cancel();
       it->source.reset();
       it->wake.reset();
       return i.Env().Undefined();
     }},
};

}  // namespace

DatasetSource::DatasetSource(std::shared_ptr<const NativeDataset> ds, LoaderOptions o) : ds_(std::move(ds)), o_(o) {}

DatasetSource::~DatasetSource() {
  Cancel();
  if (producer_.joinable()) producer_.join();
}

void DatasetSource::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
  }
  changed_.notify_all();
  if (producer_.joinable()) producer_.join();
}

int64_t DatasetSource::BeginEpoch(int64_t epoch) {
  Stop();
  const int64_t n = ds_->Size();
  at::Tensor order;
  if (o_.shard.worldSize > 1) {
    order = ShardOrder(n, o_.shard, epoch, o_.shuffle);
  } else {
    at::Generator gen = Generator(ds_->seed, epoch, 0);
    order = o_.shuffle ? at::randperm(n, gen, at::kLong) : at::arange(n, at::kLong);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.clear();
    finished_ = false;
    cancelled_ = false;
    failure_ = nullptr;
  }
  producer_ = std::thread([this, order, epoch, env = CurrentWarningEnv()] {
    WarningScope warnings(env);  // warnings from transforms go where the caller's would
    ApplyThreadCount();
    Produce(order, epoch);
  });
  const int64_t count = order.size(0);
  return o_.dropLast ? count / o_.batchSize : (count + o_.batchSize - 1) / o_.batchSize;
}

void DatasetSource::Produce(at::Tensor order, int64_t epoch) {
  at::NoGradGuard noGrad;
  at::Generator gen = Generator(ds_->seed, epoch, 1);
  const int64_t n = order.size(0);
  try {
    for (int64_t start = 0; start < n; start += o_.batchSize) {
      int64_t len = std::min(o_.batchSize, n - start);
      if (o_.dropLast && len < o_.batchSize) break;
      at::Tensor idx = order.narrow(0, start, len);
      Batch batch;
      if (ds_->loader) {
        at::Tensor rows = ds_->loader->Load(idx, [this] {
          std::lock_guard<std::mutex> lock(mutex_);
          return cancelled_;
        });
        if (!rows.defined()) return;  // cancelled while JS was decoding
        batch.x = {rows};
      } else {
        batch.x = Rows(ds_->x, 0, len, idx);
      }
      batch.y = Rows(ds_->y, 0, len, idx);
      batch.size = len;
      if (!ds_->transforms.empty()) batch.x[0] = ApplyTransforms(ds_->transforms, batch.x[0], gen);
      if (o_.device) {
        for (auto& t : batch.x) t = t.to(*o_.device);
        for (auto& t : batch.y) t = t.to(*o_.device);
      }
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return cancelled_ || static_cast<int64_t>(queue_.size()) < o_.prefetch; });
      if (cancelled_) return;
      queue_.push_back(std::move(batch));
      lock.unlock();
      changed_.notify_all();
      Wake();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
  }
  changed_.notify_all();
  Wake();
}

bool DatasetSource::Next(Batch& out) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return cancelled_ || !queue_.empty() || finished_; });
  return Take(lock, out);
}

bool DatasetSource::TryNext(Batch& out, bool& ended, std::function<void()> wake) {
  std::unique_lock<std::mutex> lock(mutex_);
  ended = cancelled_ || finished_;
  if (queue_.empty() && !ended) {
    wake_ = std::move(wake);
    return false;
  }
  return Take(lock, out);
}

// With mutex_ held and something to report: pops a batch (true), or rethrows the producer's
// failure, or reports the end (false).
bool DatasetSource::Take(std::unique_lock<std::mutex>& lock, Batch& out) {
  if (!queue_.empty()) {
    out = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    changed_.notify_all();
    return true;
  }
  if (failure_) std::rethrow_exception(failure_);
  return false;
}

void DatasetSource::Wake() {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wake.swap(wake_);
  }
  if (wake) wake();
}

void DatasetSource::Cancel() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
  }
  changed_.notify_all();
  Wake();
}

bool IsDatasetArg(const Napi::CallbackInfo& info, size_t i) { return IsExternal<DatasetHandle>(info.Env(), info[i]); }

std::shared_ptr<const NativeDataset> DatasetArg(const Napi::CallbackInfo& info, size_t i) {
  return ExternalOf<DatasetHandle>(info.Env(), info[i], OpName(info), "a dataset (nt.data.*)")->ds;
}

std::shared_ptr<const NativeDataset> DatasetField(Napi::Object obj, const char* key, const char* op) {
  Napi::Value v = obj.Get(key);
  if (!IsExternal<DatasetHandle>(obj.Env(), v)) throw TypeErr(obj.Env(), op, std::string("'") + key + "' must be a dataset (nt.data.*)");
  return ExternalOf<DatasetHandle>(obj.Env(), v, op, "a dataset")->ds;
}

LoaderOptions ReadLoaderOptions(Napi::Object obj, const char* op) {
  SpecReader s(obj, op, "options");
  LoaderOptions o;
  o.batchSize = s.Int("batchSize", 32);
  o.shuffle = s.Bool("shuffle", true);
  o.dropLast = s.Bool("dropLast", false);
  o.prefetch = s.Int("prefetch", 2);
  if (s.Has("device")) o.device = at::Device(s.String("device"));
  if (o.batchSize < 1) throw RangeErr(obj.Env(), op, "batchSize must be >= 1");
  if (o.prefetch < 1) throw RangeErr(obj.Env(), op, "prefetch must be >= 1");
  return o;
}

void RegisterDataset(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kDatasetOps); }

}  // namespace nt
