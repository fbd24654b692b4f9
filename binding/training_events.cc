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

void Deliver(Napi::Env env, Napi::Function fn, const std::shared_ptr<Event>& e) {
  try {
    Napi::Value done = env.Undefined();
    if (e->reply) {
      auto promise = e->reply;
      done = Napi::Function::New(env, [promise](const Napi::CallbackInfo& info) { Answer(promise, info[0].ToBoolean().Value()); });
    }
    fn.Call({Napi::String::New(env, e->type), Napi::Number::New(env, static_cast<double>(e->index)), LogsObject(env, e->logs), done});
  } catch (...) {  // the callback threw, or the environment can no longer run JS: stop training
    if (e->reply) Answer(e->reply, true);
  }
}

}  // namespace

Napi::Object LogsObject(Napi::Env env, const Logs& logs) {
  Napi::Object out = Napi::Object::New(env);
  for (const auto& kv : logs) out.Set(kv.first, Napi::Number::New(env, kv.second));
  return out;
}

TrainingEvents::TrainingEvents(Napi::Env env, Napi::Function onEvent, const char* name) : caller_(env, onEvent, name) {}

bool TrainingEvents::Emit(const char* type, int64_t index, Logs logs, bool blocking) {
  if (abandoned_) return blocking;
  auto event = std::make_shared<Event>(Event{type, index, std::move(logs), blocking ? std::make_shared<std::promise<bool>>() : nullptr});
  std::future<bool> answer;
  if (blocking) answer = event->reply->get_future();
  if (!caller_.Call([event](Napi::Env env, Napi::Function fn) { Deliver(env, fn, event); })) return blocking;
  if (!blocking) return false;
  return caller_.Await(answer, abandoned_) ? answer.get() : true;
}

}  // namespace nt
