// async.cc — PromiseWorker: the same work and settlement, run on libuv's pool (napi async work)
// or on a thread of its own whose end is signalled through a thread-safe function.
#include "async.h"

#include <stdexcept>
#include <string>

#include "errors.h"
#include "warnings.h"

namespace nt {

PromiseWorker::PromiseWorker(Napi::Env env, const char* op) : env_(env), op_(op), deferred_(Napi::Promise::Deferred::New(env)) {}

PromiseWorker::~PromiseWorker() = default;

void PromiseWorker::RunCaught() {
  WarningScope warnings(env_);  // libtorch warnings from Run() go to this environment's JS
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

void PromiseWorker::Queue() {
  napi_status status = napi_create_async_work(env_, nullptr, Napi::String::New(env_, op_), ExecuteOnPool, CompleteOnPool, this, &work_);
  if (status == napi_ok) status = napi_queue_async_work(env_, work_);
  if (status != napi_ok) {
    if (work_ != nullptr) napi_delete_async_work(env_, work_);
    AbandonAndThrow(status);
  }
}

void PromiseWorker::ExecuteOnPool(napi_env, void* self) { static_cast<PromiseWorker*>(self)->RunCaught(); }

void PromiseWorker::CompleteOnPool(napi_env env, napi_status status, void* self) {
  auto* w = static_cast<PromiseWorker*>(self);
  if (status == napi_cancelled) w->failure_ = std::make_exception_ptr(std::runtime_error("the work was cancelled"));
  w->Settle(Napi::Env(env));
  napi_delete_async_work(env, w->work_);
  delete w;
}

void PromiseWorker::StartThread() {
  // The thread-safe function keeps the event loop alive until the thread has reported.
  napi_status status = napi_create_threadsafe_function(env_, nullptr, nullptr, Napi::String::New(env_, op_), 0, 1, this, FinalizeThread, this,
                                                       CompleteOnThread, &done_);
  if (status != napi_ok) AbandonAndThrow(status);
  try {
    thread_ = std::thread([this] {
      RunCaught();
      napi_call_threadsafe_function(done_, nullptr, napi_tsfn_blocking);
      napi_release_threadsafe_function(done_, napi_tsfn_release);
    });
  } catch (...) {
    napi_release_threadsafe_function(done_, napi_tsfn_release);  // FinalizeThread deletes the worker
    throw;
  }
}

void PromiseWorker::CompleteOnThread(napi_env env, napi_value, void* self, void*) {
  if (env == nullptr) return;  // environment shutting down
  auto* w = static_cast<PromiseWorker*>(self);
  w->settled_ = true;
  w->Settle(Napi::Env(env));
}

// After the thread released the function, or when the environment shuts down. In the first case
// the thread is returning; in the second Run() may still be going: Cancel() makes it end soon.
void PromiseWorker::FinalizeThread(napi_env, void* self, void*) {
  auto* w = static_cast<PromiseWorker*>(self);
  if (!w->settled_) w->Cancel();
  if (w->thread_.joinable()) w->thread_.join();
  delete w;
}

}  // namespace nt
