// js_caller.h — JsCaller: how native background threads (data prefetch, training loops, JS
// losses) reach JS: a thread-safe function that may be called from any thread even after its
// release or its environment's end, and that does not keep the process running by itself.
#pragma once
#include <napi.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>

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
  // Waits for a call's `answer`; false, without waiting on, once calls can no longer be delivered
  // or `abandoned` is set (checked every 20 ms).
  template <typename T>
  bool Await(const std::future<T>& answer, const std::atomic<bool>& abandoned) const {
    while (answer.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
      if (abandoned || !Alive()) return false;
    }
    return true;
  }

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace nt
