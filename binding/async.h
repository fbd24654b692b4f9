// async.h — Promise-returning native work (sharp's baton style): a worker copies its inputs on the
// main thread, runs on another thread, and settles a Promise back on the main thread.
#pragma once
#include <napi.h>

#include <exception>
#include <thread>
#include <vector>

#include "ownership.h"

namespace nt {

// Native work that settles a Promise. Subclasses copy their inputs in the constructor (main
// thread), do the work in Run() (another thread, no N-API), and build the result in Result()
// (main thread). Any exception from Run() or Result() rejects the Promise with a JS error named
// after `op`; libtorch warnings raised in Run() reach the environment's warning handler
// (warnings.h). Started with Queue() or StartThread(), the worker deletes itself once settled.
class PromiseWorker {
 public:
  PromiseWorker(Napi::Env env, const char* op);
  virtual ~PromiseWorker();
  PromiseWorker(const PromiseWorker&) = delete;
  PromiseWorker& operator=(const PromiseWorker&) = delete;

  Napi::Promise Promise() const { return deferred_.Promise(); }

  // Runs on one of libuv's pool threads: for short work (one batch, a file).
  void Queue();
  // Runs on a thread of its own: for work that may last (fit, evaluate, predict, GAN training) or
  // that waits on JS (datasets decoded by sharp), so it never holds one of the few pool threads
  // that fs, crypto, zlib and sharp need.
  void StartThread();

 protected:
  virtual void Run() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;
  // StartThread() only: the environment is shutting down before Run() ended (a worker_thread
  // terminated mid-fit). Called on the JS thread, which then waits for Run() to end: make it end
  // soon, without waiting on JS (stop flags, cancel data sources, abandon JS callbacks).
  virtual void Cancel() {}
  // Counts this call as a use of `owner` (Owner::Use) until the Promise settles: released just
  // before JS sees the result, so code that awaits it finds the object free.
  void Uses(Owner& owner, const char* who) { uses_.emplace_back(owner, who); }

 private:
  void RunCaught();
  void Settle(Napi::Env env);
  void AbandonAndThrow(napi_status status);

  static void ExecuteOnPool(napi_env env, void* self);
  static void CompleteOnPool(napi_env env, napi_status status, void* self);
  static void CompleteOnThread(napi_env env, napi_value, void* self, void*);
  static void FinalizeThread(napi_env env, void* self, void*);

  napi_env env_;
  const char* op_;
  Napi::Promise::Deferred deferred_;
  std::exception_ptr failure_;
  napi_async_work work_ = nullptr;
  napi_threadsafe_function done_ = nullptr;
  std::thread thread_;
  bool settled_ = false;  // StartThread(): the thread's report reached the JS thread
  std::vector<Owner::Use> uses_;
};

}  // namespace nt
