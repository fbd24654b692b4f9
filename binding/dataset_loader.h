// dataset_loader.h — how the data pipeline's background threads reach JS: JsCaller, a thread-safe
// function that may be called from any thread even after its release or its environment's end;
// and JsSampleLoader, which fetches the input rows of a batch on demand, from the prefetch thread,
// by asking a JS function (an image folder's sharp decoder with its bounded cache) and waiting.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nt {

class JsCaller {
 public:
  using Callback = std::function<void(Napi::Env, Napi::Function)>;
  // Call on the JS thread. Starts unref'd: it does not keep the process running (see Ref).
  JsCaller(Napi::Env env, Napi::Function fn, const char* name);
  ~JsCaller();
  JsCaller(const JsCaller&) = delete;
  JsCaller& operator=(const JsCaller&) = delete;

  // Queues `callback` to run on the JS thread with `fn`; false when the function is gone.
  bool Call(Callback callback) const;
  // Whether calls can still be delivered.
  bool Alive() const;
  // Keeps the process running while JS waits on a call (on = true); JS thread only.
  void Ref(Napi::Env env, bool on) const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

class JsSampleLoader {
 public:
  // `fetch(indices: Int32Array, done(err, bytes))` must answer with the samples' uint8 bytes,
  // each laid out [H, W, C] = `hwc`, concatenated in the order asked. Call on the JS thread.
  JsSampleLoader(Napi::Env env, Napi::Function fetch, int64_t count, std::vector<int64_t> hwc);

  int64_t Size() const { return count_; }
  // The samples at `idx` as uint8 [len, C, H, W]. Polls `cancelled` while JS works and returns an
  // undefined tensor once it is true; throws the JS error (which names the file) on failure.
  at::Tensor Load(const at::Tensor& idx, const std::function<bool()>& cancelled);

 private:
  JsCaller fetch_;
  int64_t count_;
  std::vector<int64_t> hwc_;
};

}  // namespace nt
