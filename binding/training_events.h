// training_events.h — how native training loops (fit, the GAN trainer) report to JS from their
// worker thread: events (type, index, logs) through a JsCaller. Blocking events wait for JS to
// call the `done(stop)` it receives and return "stop"; non-blocking ones (per-batch logs) queue
// and return at once. BatchLogClock says when per-batch logs are due.
#pragma once
#include <napi.h>

#include <atomic>
#include <chrono>
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

// Whether a batch's logs are due: every batch, or (for a progress bar) once per interval.
class BatchLogClock {
 public:
  explicit BatchLogClock(double everyMs) : every_(std::chrono::duration<double, std::milli>(everyMs)) {}
  bool Due() {
    if (every_.count() <= 0) return true;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < every_) return false;
    last_ = now;
    return true;
  }

 private:
  std::chrono::duration<double, std::milli> every_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace nt
