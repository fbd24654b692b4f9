// dataset_loader.cc — JsSampleLoader: one request per batch, delivered to JS through a JsCaller;
// JS answers through a `done(err, bytes)` callback that fills it.
#include "dataset_loader.h"

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "args.h"

namespace nt {

namespace {

struct Request {
  std::vector<int32_t> indices;
  size_t expectedBytes = 0;
  std::mutex mutex;
  std::condition_variable answered;
  bool done = false;
  std::string error;  // set when JS failed
  std::vector<uint8_t> bytes;

  void Finish(std::string err, const uint8_t* data = nullptr, size_t size = 0) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (done) return;
      error = std::move(err);
      if (data != nullptr) bytes.assign(data, data + size);
      done = true;
    }
    answered.notify_all();
  }
};

std::string ErrorMessage(Napi::Value err) {
  if (err.IsObject()) {
    Napi::Value message = err.As<Napi::Object>().Get("message");
    if (message.IsString() && !message.As<Napi::String>().Utf8Value().empty()) return message.As<Napi::String>().Utf8Value();
  }
  std::string text = err.ToString().Utf8Value();
  return text.empty() ? "the sample loader failed" : text;
}

// Runs on the JS thread: calls fetch(indices, done).
void Deliver(Napi::Env env, Napi::Function fetch, const std::shared_ptr<Request>& req) {
  try {
    Napi::Int32Array indices = Napi::Int32Array::New(env, req->indices.size());
    std::memcpy(indices.Data(), req->indices.data(), req->indices.size() * sizeof(int32_t));
    Napi::Function done = Napi::Function::New(env, [req](const Napi::CallbackInfo& info) {
      if (!IsNullish(info[0])) return req->Finish(ErrorMessage(info[0]));
      if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
        return req->Finish("the sample loader answered without a Uint8Array");
      }
      Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
      if (bytes.ByteLength() != req->expectedBytes) {
        return req->Finish("the sample loader answered " + std::to_string(bytes.ByteLength()) + " bytes, expected " + std::to_string(req->expectedBytes));
      }
      req->Finish("", bytes.Data(), bytes.ByteLength());
    });
    fetch.Call({indices, done});
  } catch (const std::exception& e) {
    req->Finish(e.what());
  }
}

}  // namespace

JsSampleLoader::JsSampleLoader(Napi::Env env, Napi::Function fetch, int64_t count, std::vector<int64_t> hwc)
    : fetch_(env, fetch, "nodetorch.dataset.load"), count_(count), hwc_(std::move(hwc)) {}

at::Tensor JsSampleLoader::Load(const at::Tensor& idx, const std::function<bool()>& cancelled) {
  const int64_t len = idx.size(0);
  auto req = std::make_shared<Request>();
  at::Tensor idx32 = idx.to(at::kInt).contiguous();
  req->indices.assign(idx32.data_ptr<int32_t>(), idx32.data_ptr<int32_t>() + len);
  req->expectedBytes = static_cast<size_t>(len * hwc_[0] * hwc_[1] * hwc_[2]);
  if (!fetch_.Call([req](Napi::Env env, Napi::Function fetch) { Deliver(env, fetch, req); })) {
    throw std::runtime_error("the dataset's sample loader is closed");
  }
  std::unique_lock<std::mutex> lock(req->mutex);
  while (!req->done) {
    if (cancelled()) return at::Tensor();
    if (!fetch_.Alive()) throw std::runtime_error("the dataset's sample loader is closed");
    req->answered.wait_for(lock, std::chrono::milliseconds(20));
  }
  if (!req->error.empty()) throw std::runtime_error(req->error);
  at::Tensor out = at::empty({len, hwc_[0], hwc_[1], hwc_[2]}, at::kByte);
  std::memcpy(out.data_ptr<uint8_t>(), req->bytes.data(), req->bytes.size());
  return out.permute({0, 3, 1, 2}).contiguous();
}

}  // namespace nt
