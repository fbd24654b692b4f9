// async.h — Promise-returning native work (sharp's baton style): a worker copies its inputs on the
// main thread, runs on another thread, and settles a Promise back on the main thread; and
// WorkThread, a long-lived thread that runs such work in order (a model's predictions) and reports
// it back through one thread-safe function it keeps (ReportChannel, async.cc).
#pragma once
#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ownership.h"

namespace nt {

class ReportChannel;

// A thread that runs posted jobs one after another, kept for the life of its owner. Work posted
// to it finds the same thread every time: warm caches and the same malloc arena (glibc gives each
// thread its own), where libuv's pool hands consecutive calls to any of its threads, each of which
// faults its own arena's pages back in. Destruction waits for the posted jobs.
class WorkThread {
 public:
  WorkThread();
  ~WorkThread();
  WorkThread(const WorkThread&) = delete;
  WorkThread& operator=(const WorkThread&) = delete;
  void Post(std::function<void()> job);
  // JS thread of `env`: the channel that reports this thread's work to `env`, made at the first
  // call; null when the thread already reports to another environment.
  std::shared_ptr<ReportChannel> Reports(napi_env env);

 private:
  void Loop();
  std::mutex reportsMu_;
  std::shared_ptr<ReportChannel> reports_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

// Native work that settles a Promise. Subclasses copy their inputs in the constructor (main
// thread), do the work in Run() (another thread, no N-API), and build the result in Result()
// (main thread). Any exception from Run() or Result() rejects the Promise with a JS error named
// after `op`; libtorch warnings raised in Run() reach the environment's warning handler
// (warnings.h). Made with `new` and started with Queue(), StartThread() or RunOn() — each returns
// the Promise (`return (new XWorker(...))->Queue();`) — the worker deletes itself once settled.
class PromiseWorker {
 public:
  PromiseWorker(Napi::Env env, const char* op);
  virtual ~PromiseWorker();
  PromiseWorker(const PromiseWorker&) = delete;
  PromiseWorker& operator=(const PromiseWorker&) = delete;

  // Runs on one of libuv's pool threads: for short work (one batch, a file).
  Napi::Promise Queue();
  // Runs on a thread of its own: for work that may last (fit, evaluate, predict, GAN training) or
  // that waits on JS (datasets decoded by sharp), so it never holds one of the few pool threads
  // that fs, crypto, zlib and sharp need.
  Napi::Promise StartThread();
  // Runs on `thread` after the work posted there before it: for short work that recurs on one
  // object (a model's predictions), which then finds a warm thread.
  Napi::Promise RunOn(WorkThread& thread);

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
  friend class ReportChannel;
  void RunCaught();
  // Starts Run() through `start` (given the body to run on another thread); settled through a
  // thread-safe function that the body calls last.
  Napi::Promise StartReporting(const std::function<void(std::function<void()>)>& start);
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
  std::thread thread_;     // StartThread()
  // StartThread(), RunOn(): the body has ended (it no longer touches the worker or the function).
  std::shared_ptr<std::promise<void>> ran_ = std::make_shared<std::promise<void>>();
  bool settled_ = false;    // the body's report reached the JS thread
  std::atomic<bool> abandoned_{false};  // the environment shut down first: skip Run() if not begun
  std::vector<Owner::Use> uses_;
};

}  // namespace nt
