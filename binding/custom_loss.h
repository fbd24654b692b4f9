// custom_loss.h — losses written in JS with the Tensor API, called from native training loops:
// directly on the main thread, or through a thread-safe function from a worker thread (the worker
// waits for the JS result; autograd links the JS ops into the graph it then backpropagates).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <atomic>
#include <functional>
#include <memory>

#include "js_caller.h"
#include "ownership.h"

namespace nt {

// (predictions, targets) → scalar loss tensor with autograd.
using LossFn = std::function<at::Tensor(const at::Tensor& pred, const at::Tensor& target)>;

// Calls `fn(predHandle, targetHandle)` on the current (JS) thread; it must return a tensor handle,
// which is consumed (disposed) once its tensor has been taken.
at::Tensor CallJsLoss(Napi::Env env, Napi::Function fn, const at::Tensor& pred, const at::Tensor& target);

// A JS loss usable from one worker thread. Create on the main thread; call Fn() on the worker.
// While a call waits for JS, the object `lender` (the model being trained) is lent to the JS
// thread for reads; the loan ends on the JS thread as the loss returns (ownership.h).
class JsLossBridge {
 public:
  JsLossBridge(Napi::Env env, Napi::Function fn, std::shared_ptr<Owner> lender);
  LossFn Fn();
  // Stops waiting for JS, from any thread: pending and later calls throw.
  void Abandon() { abandoned_ = true; }

 private:
  JsCaller caller_;
  std::shared_ptr<Owner> lender_;
  std::atomic<bool> abandoned_{false};
};

}  // namespace nt
