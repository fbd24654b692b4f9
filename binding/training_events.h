// training_events.h — how native training loops (fit, the GAN trainer) report to JS from their
// worker thread: events (type, index, logs) through a thread-safe function. Blocking events wait
// for JS to call the `done(stop)` it receives and return "stop"; non-blocking ones (per-batch
// logs) queue and return at once.
#pragma once
#include <napi.h>

#include <string>
#include <utility>
#include <vector>

namespace nt {

using Logs = std::vector<std::pair<std::string, double>>;

Napi::Object LogsObject(Napi::Env env, const Logs& logs);

class TrainingEvents {
 public:
  // `onEvent(type, index, logs, done?)` is called on the JS thread; `name` names the resource.
  TrainingEvents(Napi::Env env, Napi::Function onEvent, const char* name);
  // Sends an event; for blocking events waits until JS answers and returns its "stop" (true
  // also when the environment shuts down or the callback throws). Call from the worker thread.
  bool Emit(const char* type, int64_t index, Logs logs, bool blocking);
  // Lets the environment exit; call once, when the loop ends.
  void Release();

 private:
  Napi::ThreadSafeFunction tsfn_;
  bool released_ = false;
};

}  // namespace nt
