// training_events.cc — events from a native training loop to JS through a thread-safe function,
// with a promise per blocking event that JS resolves through `done(stop)`.
#include "training_events.h"

#include <future>
#include <memory>

namespace nt {
namespace {

struct Event {
  const char* type;
  int64_t index;
  Logs logs;
  std::shared_ptr<std::promise<bool>> reply;  // set for blocking events: resolves to "stop training"
};

void Answer(const std::shared_ptr<std::promise<bool>>& reply, bool stop) {
  try {
    reply->set_value(stop);
  } catch (const std::future_error&) {  // already answered
  }
}

void Deliver(Napi::Env env, Napi::Function fn, Event* e) {
  std::unique_ptr<Event> owned(e);
  if (env == nullptr) {  // environment shutting down
    if (e->reply) Answer(e->reply, true);
    return;
  }
  Napi::Value done = env.Undefined();
  if (e->reply) {
    auto promise = e->reply;
    done = Napi::Function::New(env, [promise](const Napi::CallbackInfo& info) { Answer(promise, info[0].ToBoolean().Value()); });
  }
  try {
    fn.Call({Napi::String::New(env, e->type), Napi::Number::New(env, static_cast<double>(e->index)), LogsObject(env, e->logs), done});
  } catch (...) {
    if (e->reply) Answer(e->reply, true);
  }
}

}  // namespace

Napi::Object LogsObject(Napi::Env env, const Logs& logs) {
  Napi::Object out = Napi::Object::New(env);
  for (const auto& kv : logs) out.Set(kv.first, Napi::Number::New(env, kv.second));
  return out;
}

TrainingEvents::TrainingEvents(Napi::Env env, Napi::Function onEvent, const char* name)
    : tsfn_(Napi::ThreadSafeFunction::New(env, onEvent, name, 0, 1)) {}

bool TrainingEvents::Emit(const char* type, int64_t index, Logs logs, bool blocking) {
  auto* event = new Event{type, index, std::move(logs), blocking ? std::make_shared<std::promise<bool>>() : nullptr};
  std::shared_ptr<std::promise<bool>> reply = event->reply;
  napi_status status = tsfn_.BlockingCall(event, Deliver);
  if (status != napi_ok) {
    delete event;
    return blocking;
  }
  return blocking ? reply->get_future().get() : false;
}

void TrainingEvents::Release() {
  if (!released_) tsfn_.Release();
  released_ = true;
}

}  // namespace nt
