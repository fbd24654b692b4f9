// js_caller.cc — JsCaller: a thread-safe function guarded by a flag that its finalizer clears.
#include "js_caller.h"

#include <mutex>

namespace nt {

struct JsCaller::State {
  std::mutex mutex;
  bool alive = true;  // false once released or finalized with its environment
  Napi::ThreadSafeFunction tsfn;
};

JsCaller::JsCaller(Napi::Env env, Napi::Function fn, const char* name) : state_(std::make_shared<State>()) {
  auto* finalizerState = new std::shared_ptr<State>(state_);
  state_->tsfn = Napi::ThreadSafeFunction::New(env, fn, name, 0, 1, [](Napi::Env, std::shared_ptr<State>* s) {
    {
      std::lock_guard<std::mutex> lock((*s)->mutex);
      (*s)->alive = false;
    }
    delete s;
  }, finalizerState);
  state_->tsfn.Unref(env);
}

JsCaller::~JsCaller() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (state_->alive) state_->tsfn.Release();
  state_->alive = false;
}

bool JsCaller::Call(Callback callback) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->alive && state_->tsfn.NonBlockingCall(std::move(callback)) == napi_ok;
}

bool JsCaller::Alive() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->alive;
}

void JsCaller::Ref(Napi::Env env, bool on) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (!state_->alive) return;
  if (on) {
    state_->tsfn.Ref(env);
  } else {
    state_->tsfn.Unref(env);
  }
}

}  // namespace nt
