// custom_loss.cc — runs JS loss functions for native training loops (see custom_loss.h).
#include "custom_loss.h"

#include <future>
#include <memory>
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

JsLossBridge::JsLossBridge(Napi::Env env, Napi::Function fn, std::shared_ptr<Owner> lender)
    : caller_(env, fn, "nodetorch.customLoss"), lender_(std::move(lender)) {}

LossFn JsLossBridge::Fn() {
  return [this](const at::Tensor& pred, const at::Tensor& target) {
    const char* gone = "cannot call the custom loss (the JS environment is shutting down)";
    if (abandoned_) throw std::runtime_error(gone);
    auto call = std::make_shared<LossCall>(LossCall{pred, target, {}});
    std::future<at::Tensor> future = call->result.get_future();
    struct Loan {  // ends the loan however this call ends (the JS side normally ended it already)
      Owner& owner;
      explicit Loan(Owner& o) : owner(o) { owner.Lend(); }
      ~Loan() { owner.EndLoan(); }
    } loan(*lender_);
    std::shared_ptr<Owner> lender = lender_;
    const bool queued = caller_.Call([call, lender](Napi::Env env, Napi::Function fn) {
      try {
        at::Tensor loss = CallJsLoss(env, fn, call->pred, call->target);
        lender->EndLoan();
        call->result.set_value(std::move(loss));
      } catch (const Napi::Error& e) {
        lender->EndLoan();
        call->result.set_exception(std::make_exception_ptr(std::runtime_error("custom loss threw: " + e.Message())));
      } catch (...) {
        lender->EndLoan();
        call->result.set_exception(std::current_exception());
      }
    });
    if (!queued) throw std::runtime_error(gone);
    if (!caller_.Await(future, abandoned_)) throw std::runtime_error(gone);
    return future.get();
  };
}

}  // namespace nt
