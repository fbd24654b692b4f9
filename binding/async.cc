// async.cc — PromiseWorker: the same work and settlement, run on libuv's pool (napi async work),
// on a thread of its own, whose end is signalled through a thread-safe function made for it, or on
// a WorkThread, which reports through the one thread-safe function it keeps (ReportChannel).
#include "async.h"

#include <stdexcept>
#include <string>
#include <unordered_set>

#include "errors.h"
#include "thread_count.h"
#include "warnings.h"

namespace nt {

// How a WorkThread's jobs reach the JS thread of one environment: a thread-safe function made
// once, where a function per call would cost a libuv handle opened and closed, and an extra pass
// of the event loop, per call (~20 µs of a small model's 0.5 ms predict). It holds the event
// loop open only while work is in flight. The WorkThread owns one end (Close() at its
// destruction), the function the other (Finalize, also when the environment shuts down first);
// the shared state between them outlives both.
class ReportChannel {
 public:
  // JS thread of `env`.
  static std::shared_ptr<ReportChannel> Make(napi_env env) {
    auto channel = std::make_shared<ReportChannel>(env);
    auto* keep = new std::shared_ptr<ReportChannel>(channel);  // the function's own reference
    napi_status status = napi_create_threadsafe_function(env, nullptr, nullptr, Napi::String::New(env, "nodetorch work thread"), 0, 1, keep, Finalize,
                                                         channel.get(), Deliver, &channel->fn_);
    if (status != napi_ok) {
      delete keep;
      NAPI_THROW_IF_FAILED(env, status, nullptr);
    }
    napi_unref_threadsafe_function(env, channel->fn_);
    return channel;
  }

  explicit ReportChannel(napi_env env) : env_(env) {}
  napi_env Env() const { return env_; }

  // JS thread: `w` was posted and will Report(). The event loop stays open until it is delivered.
  void Track(PromiseWorker* w) {
    if (inFlight_.empty()) napi_ref_threadsafe_function(env_, fn_);
    inFlight_.insert(w);
  }
  // JS thread: `w` was never posted after all.
  void Untrack(PromiseWorker* w) {
    inFlight_.erase(w);
    if (inFlight_.empty() && fn_ != nullptr) napi_unref_threadsafe_function(env_, fn_);
  }
  // The work thread, as a job's last touch of `w`: queues its settlement on the JS thread. When the
  // environment is shutting down the call is refused, and Finalize deletes `w` instead.
  void Report(PromiseWorker* w) {
    std::lock_guard<std::mutex> lock(mu_);
    if (fn_ != nullptr) napi_call_threadsafe_function(fn_, w, napi_tsfn_blocking);
  }
  // The owner lets go (any thread): the function closes once its queue is delivered.
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    if (fn_ != nullptr) napi_release_threadsafe_function(fn_, napi_tsfn_release);
  }

 private:
  static void Deliver(napi_env env, napi_value, void* self, void* data) {
    if (env == nullptr) return;  // shutting down: Finalize already deleted the worker
    auto* channel = static_cast<ReportChannel*>(self);
    auto* w = static_cast<PromiseWorker*>(data);
    channel->Untrack(w);
    w->settled_ = true;
    w->Settle(Napi::Env(env));
    delete w;  // its job no longer touches it (it only signals `ran_`, through its own copy)
  }

  // JS thread: after Close() and the last delivery, or when the environment shuts down with work
  // in flight. That work skips Run() if not begun (Cancel() ends the rest soon); each worker goes
  // once its job has ended. Deleting the last one may destroy the WorkThread, whose Close() finds
  // the function gone.
  static void Finalize(napi_env, void* keep, void*) {
    std::shared_ptr<ReportChannel> channel = std::move(*static_cast<std::shared_ptr<ReportChannel>*>(keep));
    delete static_cast<std::shared_ptr<ReportChannel>*>(keep);
    {
      std::lock_guard<std::mutex> lock(channel->mu_);
      channel->fn_ = nullptr;
    }
    std::unordered_set<PromiseWorker*> inFlight = std::move(channel->inFlight_);
    channel->inFlight_.clear();
    for (PromiseWorker* w : inFlight) {
      w->abandoned_ = true;
      w->Cancel();
    }
    for (PromiseWorker* w : inFlight) {
      w->ran_->get_future().wait();
      delete w;
    }
  }

  napi_env env_;
  std::mutex mu_;                              // guards fn_ against Finalize
  napi_threadsafe_function fn_ = nullptr;      // null once finalized
  std::unordered_set<PromiseWorker*> inFlight_;  // JS thread only: posted, not yet delivered
};

WorkThread::WorkThread() : thread_([this] { Loop(); }) {}

WorkThread::~WorkThread() {
  {
    std::lock_guard<std::mutex> lock(reportsMu_);
    if (reports_) reports_->Close();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  // The last owner may let go from a job (never in this library: jobs hold workers, which the
  // JS thread deletes); a thread cannot join itself.
  if (std::this_thread::get_id() == thread_.get_id()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

void WorkThread::Post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

std::shared_ptr<ReportChannel> WorkThread::Reports(napi_env env) {
  std::lock_guard<std::mutex> lock(reportsMu_);
  if (!reports_) reports_ = ReportChannel::Make(env);
  return reports_->Env() == env ? reports_ : nullptr;
}

void WorkThread::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, nothing left
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

PromiseWorker::PromiseWorker(Napi::Env env, const char* op) : env_(env), op_(op), deferred_(Napi::Promise::Deferred::New(env)) {}

PromiseWorker::~PromiseWorker() = default;

void PromiseWorker::RunCaught() {
  WarningScope warnings(env_);  // libtorch warnings from Run() go to this environment's JS
  ApplyThreadCount();
  try {
    Run();
  } catch (...) {
    failure_ = std::current_exception();
  }
}

void PromiseWorker::Settle(Napi::Env env) {
  uses_.clear();
  try {
    Napi::HandleScope scope(env);
    try {
      if (failure_) std::rethrow_exception(failure_);
      deferred_.Resolve(Result(env));
    } catch (...) {
      deferred_.Reject(CurrentExceptionAsJs(env, op_).Value());
    }
  } catch (...) {
    // The environment can no longer run JS (a worker_thread being terminated): nobody awaits the
    // promise, and an exception must not escape into N-API's C callback.
  }
}

// A start that failed: nothing will settle or delete the worker, so it goes now.
void PromiseWorker::AbandonAndThrow(napi_status status) {
  Napi::Env env(env_);
  delete this;
  NAPI_THROW_IF_FAILED_VOID(env, status);
}

Napi::Promise PromiseWorker::Queue() {
  Napi::Promise promise = deferred_.Promise();
  napi_status status = napi_create_async_work(env_, nullptr, Napi::String::New(env_, op_), ExecuteOnPool, CompleteOnPool, this, &work_);
  if (status == napi_ok) status = napi_queue_async_work(env_, work_);
  if (status != napi_ok) {
    if (work_ != nullptr) napi_delete_async_work(env_, work_);
    AbandonAndThrow(status);
  }
  return promise;
}

void PromiseWorker::ExecuteOnPool(napi_env, void* self) { static_cast<PromiseWorker*>(self)->RunCaught(); }

void PromiseWorker::CompleteOnPool(napi_env env, napi_status status, void* self) {
  auto* w = static_cast<PromiseWorker*>(self);
  if (status == napi_cancelled) w->failure_ = std::make_exception_ptr(std::runtime_error("the work was cancelled"));
  w->Settle(Napi::Env(env));
  napi_delete_async_work(env, w->work_);
  delete w;
}

Napi::Promise PromiseWorker::StartThread() {
  return StartReporting([this](std::function<void()> body) { thread_ = std::thread(std::move(body)); });
}

Napi::Promise PromiseWorker::RunOn(WorkThread& thread) {
  std::shared_ptr<ReportChannel> reports;
  try {
    reports = thread.Reports(env_);
  } catch (...) {
    delete this;
    throw;
  }
  if (!reports) return StartReporting([&thread](std::function<void()> body) { thread.Post(std::move(body)); });
  Napi::Promise promise = deferred_.Promise();
  reports->Track(this);
  try {
    thread.Post([this, reports, ran = ran_] {
      if (!abandoned_) RunCaught();
      reports->Report(this);
      ran->set_value();
    });
  } catch (...) {
    reports->Untrack(this);
    delete this;
    throw;
  }
  return promise;
}

Napi::Promise PromiseWorker::StartReporting(const std::function<void(std::function<void()>)>& start) {
  Napi::Promise promise = deferred_.Promise();
  // The thread-safe function keeps the event loop alive until the body has reported.
  napi_status status = napi_create_threadsafe_function(env_, nullptr, nullptr, Napi::String::New(env_, op_), 0, 1, this, FinalizeThread, this,
                                                       CompleteOnThread, &done_);
  if (status != napi_ok) AbandonAndThrow(status);
  try {
    // The body's last act, after which the worker may be gone: it signals through its own copy.
    start([this, ran = ran_] {
      if (!abandoned_) RunCaught();
      napi_call_threadsafe_function(done_, nullptr, napi_tsfn_blocking);
      napi_release_threadsafe_function(done_, napi_tsfn_release);
      ran->set_value();
    });
  } catch (...) {
    ran_->set_value();  // the body never started
    napi_release_threadsafe_function(done_, napi_tsfn_release);  // FinalizeThread deletes the worker
    throw;
  }
  return promise;
}

void PromiseWorker::CompleteOnThread(napi_env env, napi_value, void* self, void*) {
  if (env == nullptr) return;  // environment shutting down
  auto* w = static_cast<PromiseWorker*>(self);
  w->settled_ = true;
  w->Settle(Napi::Env(env));
}

// After the body released the function, or when the environment shuts down. In the first case
// the body is returning; in the second Run() may still be going (Cancel() makes it end soon) or,
// queued on a WorkThread, not have started (it then skips Run()).
void PromiseWorker::FinalizeThread(napi_env, void* self, void*) {
  auto* w = static_cast<PromiseWorker*>(self);
  if (!w->settled_) {
    w->abandoned_ = true;
    w->Cancel();
  }
  if (w->thread_.joinable()) {
    w->thread_.join();
  } else {
    w->ran_->get_future().wait();
  }
  delete w;
}

}  // namespace nt
