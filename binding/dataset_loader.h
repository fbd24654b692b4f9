// dataset_loader.h — JsSampleLoader: fetches the input rows of a batch on demand, from the
// prefetch thread, by asking a JS function (an image folder's sharp decoder with its bounded
// cache) through a JsCaller and waiting.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "js_caller.h"

namespace nt {

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
