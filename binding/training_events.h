// training_events.h — how native training loops (fit, the GAN trainer) report to JS from their
// worker thread: events (type, index, logs) through a JsCaller. Blocking events wait for JS to
// call the `done(stop)` it receives and return "stop"; non-blocking ones (per-batch logs) queue
// and return at once.
#pragma once
#include <napi.h>

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "js_caller.h"

namespace nt {

using Logs = std::vector<std::pair<std::string, double>>;

Napi::Object LogsObject(Napi::Env env, const Logs& logs);

class TrainingEvents {
 public:
  // `onEvent(type, index, logs, done?)` is called on the JS thread; `name` names the resource.
  TrainingEvents(Napi::Env env, Napi::Function onEvent, const char* name);
  // Sends an event; for blocking events waits until JS answers and returns its "stop" (true
  // also when the environment shuts down, the callback throws, or after Abandon()). Call from
  // the worker thread.
  bool Emit(const char* type, int64_t index, Logs logs, bool blocking);
  // Stops waiting for JS, from any thread: blocking events, pending or later, return "stop".
  void Abandon() { abandoned_ = true; }

 private:
  JsCaller caller_;
  std::atomic<bool> abandoned_{false};
};

}  // namespace nt
