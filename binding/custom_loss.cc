// custom_loss.cc — runs JS loss functions for native training loops (see custom_loss.h).
#include "custom_loss.h"

#include <future>
#include <stdexcept>

#include "errors.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

struct LossCall {
  at::Tensor pred;
  at::Tensor target;
  std::promise<at::Tensor> result;
};

}  // namespace

at::Tensor CallJsLoss(Napi::Env env, Napi::Function fn, const at::Tensor& pred, const at::Tensor& target) {
  Napi::Value out = fn.Call({Wrap(env, pred), Wrap(env, target)});
  TensorHandle* h = HandleOf(env, out);
  if (h == nullptr || !h->tensor.defined()) throw std::invalid_argument("the custom loss must return a Tensor");
  at::Tensor loss = h->tensor;
  Dispose(env, h);
  if (loss.numel() != 1) {
    throw std::invalid_argument("the custom loss must return a scalar (one element), got shape " + c10::str(loss.sizes()));
  }
  if (pred.requires_grad() && !loss.requires_grad()) {
    throw std::invalid_argument("the custom loss result does not depend on the predictions (no gradient)");
  }
  return loss.reshape({});
}

JsLossBridge::JsLossBridge(Napi::Env env, Napi::Function fn) {
  tsfn_ = Napi::ThreadSafeFunction::New(env, fn, "nodetorch.customLoss", 0, 1);
}

LossFn JsLossBridge::Fn() {
  return [this](const at::Tensor& pred, const at::Tensor& target) {
    LossCall call{pred, target, {}};
    std::future<at::Tensor> future = call.result.get_future();
    napi_status status = tsfn_.BlockingCall(&call, [](Napi::Env env, Napi::Function fn, LossCall* c) {
      if (env == nullptr) {
        c->result.set_exception(std::make_exception_ptr(std::runtime_error("the JS environment is shutting down")));
        return;
      }
      try {
        c->result.set_value(CallJsLoss(env, fn, c->pred, c->target));
      } catch (const Napi::Error& e) {
        c->result.set_exception(std::make_exception_ptr(std::runtime_error("custom loss threw: " + e.Message())));
      } catch (...) {
        c->result.set_exception(std::current_exception());
      }
    });
    if (status != napi_ok) throw std::runtime_error("cannot call the custom loss (the JS environment is shutting down)");
    return future.get();
  };
}

void JsLossBridge::Release() { tsfn_.Release(); }

}  // namespace nt
