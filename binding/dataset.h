// dataset.h — the native data pipeline: a dataset of in-memory sample tensors (images stored
// compactly, e.g. uint8) with batch transforms, iterated by a DatasetSource that shuffles with the
// dataset's own seeded generator (per epoch) and prepares batches ahead on a background thread
// (a bounded prefetch queue), so a training loop never waits on indexing, decoding or transforms.
// Inputs not held in memory (image folders) come from a JsSampleLoader, asked per batch.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "batch_source.h"
#include "data_parallel.h"
#include "dataset_loader.h"
#include "transforms.h"

namespace nt {

struct NativeDataset {
  std::vector<at::Tensor> x;  // one per model input, rows = samples (empty when `loader` is set)
  std::vector<at::Tensor> y;  // one per model output (may be empty)
  std::shared_ptr<JsSampleLoader> loader;  // the single input, fetched on demand
  std::vector<Transform> transforms;  // applied to the first input
  uint64_t seed = 0;
  int64_t Size() const { return loader ? loader->Size() : x.at(0).size(0); }
};

struct LoaderOptions {
  int64_t batchSize = 32;
  bool shuffle = true;
  bool dropLast = false;
  int64_t prefetch = 2;  // batches prepared ahead
  c10::optional<at::Device> device;  // where the prefetch thread puts the batches (default: stay on the CPU)
  Shard shard;  // a data-parallel fit's share of each epoch (shard.h); worldSize 1: all samples
};

class DatasetSource : public BatchSource {
 public:
  DatasetSource(std::shared_ptr<const NativeDataset> ds, LoaderOptions o);
  ~DatasetSource() override;
  int64_t BeginEpoch(int64_t epoch) override;
  bool Next(Batch& out) override;
  void Cancel() override;
  // Next without blocking, for JS iteration: true with `out` set; false with `ended` telling
  // whether the epoch is over (or cancelled). When nothing is ready yet, `wake` is called once,
  // from the producer thread, as soon as something is. Rethrows the producer's failure.
  bool TryNext(Batch& out, bool& ended, std::function<void()> wake);

 private:
  void Produce(at::Tensor order, int64_t epoch);
  void Stop();
  bool Take(std::unique_lock<std::mutex>& lock, Batch& out);
  void Wake();

  std::shared_ptr<const NativeDataset> ds_;
  LoaderOptions o_;
  std::thread producer_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> queue_;
  bool finished_ = false;   // the producer pushed its last batch of the epoch
  bool cancelled_ = false;
  std::exception_ptr failure_;
  std::function<void()> wake_;  // set by TryNext while JS waits
};

// Whether argument i is a dataset handle.
bool IsDatasetArg(const Napi::CallbackInfo& info, size_t i);
// The dataset behind a handle argument; throws a TypeError naming the op otherwise.
std::shared_ptr<const NativeDataset> DatasetArg(const Napi::CallbackInfo& info, size_t i);
// The dataset in field `key` of an options object.
std::shared_ptr<const NativeDataset> DatasetField(Napi::Object obj, const char* key, const char* op);
// Loader options { batchSize, shuffle, dropLast, prefetch, device } from a JS object.
LoaderOptions ReadLoaderOptions(Napi::Object obj, const char* op);

}  // namespace nt
