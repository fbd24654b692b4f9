// async.cc — PromiseWorker: the same work and settlement, run on libuv's pool (napi async work),
// on a thread of its own or on a WorkThread, whose end is signalled through a thread-safe function.
#include "async.h"

#include <stdexcept>
#include <string>

#include "errors.h"
#include "thread_count.h"
#include "warnings.h"

namespace nt {

WorkThread::WorkThread() : thread_([this] { Loop(); }) {}

WorkThread::~WorkThread() {
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
  return StartReporting([&thread](std::function<void()> body) { thread.Post(std::move(body)); });
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
