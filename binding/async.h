// async.h — helpers for Promise-returning native work (AsyncWorker + Deferred, sharp's baton style).
#pragma once
#include <napi.h>

#include <exception>
#include <string>

#include "errors.h"
#include "warnings.h"

namespace nt {

// An AsyncWorker that settles a Promise. Subclasses copy their inputs in the constructor (main
// thread), do the work in Run() (worker thread, no N-API), and build the result in Result()
// (main thread). Any exception from Run() rejects the Promise with a JS error named after `op`;
// libtorch warnings raised in Run() reach the environment's warning handler (warnings.h).
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char* op)
      : Napi::AsyncWorker(env, op), op_(op), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  virtual void Run() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;

 private:
  void Execute() override {
    WarningScope warnings(Env());  // libtorch warnings from Run() go to this environment's JS
    try {
      Run();
    } catch (...) {
      failure_ = std::current_exception();
      SetError("failed");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(Result(env));
    } catch (...) {
      deferred_.Reject(CurrentExceptionAsJs(env, op_).Value());
    }
  }

  void OnError(const Napi::Error&) override {
    Napi::Env env = Env();
    try {
      std::rethrow_exception(failure_);
    } catch (...) {
      deferred_.Reject(CurrentExceptionAsJs(env, op_).Value());
    }
  }

  const char* op_;
  Napi::Promise::Deferred deferred_;
  std::exception_ptr failure_;
};

}  // namespace nt
