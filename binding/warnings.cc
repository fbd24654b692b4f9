// warnings.cc — libtorch warnings to JS: a c10::WarningHandler that queues each warning on a
// thread-safe function of the environment the warning thread works for (lib/ forwards it to
// process.emitWarning(message, 'TorchWarning')). Queuing never blocks the warning thread. Each
// environment hears a warning once per libtorch source location and message (like Python's default
// warnings filter); TORCH_WARN_ONCE warnings are already once per process in libtorch itself.
#include "warnings.h"

#include <napi.h>
#include <torch/version.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "errors.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

// Distinct warnings an environment remembers for deduplication; past that it forgets them and starts over.
constexpr size_t kMaxRemembered = 4096;

thread_local napi_env tCurrentEnv = nullptr;

struct Sink {
  uint64_t id;
  napi_env env;
  Napi::ThreadSafeFunction tsfn;
  std::thread::id jsThread;
  std::unordered_set<std::string> seen;
  // Warnings raised on the JS thread itself and not yet delivered: while there are any, the
  // thread-safe function holds the event loop open, so a script that warns and ends still prints.
  // Touched on the JS thread only.
  std::shared_ptr<size_t> pendingOnJsThread = std::make_shared<size_t>(0);
};

// One queued warning; `pending` is set when it was raised on the JS thread and holds the loop open.
struct Queued {
  std::string text;
  std::shared_ptr<size_t> pending;
  napi_threadsafe_function tsfn;
};

class JsWarningHandler : public c10::WarningHandler {
 public:
#if TORCH_VERSION_MAJOR >= 2
  void process(const c10::Warning& warning) override {
    if (!Forward(warning.source_location(), warning.msg(), warning.verbatim())) c10::WarningHandler::process(warning);
  }
#else
  void process(const c10::SourceLocation& where, const std::string& msg, const bool verbatim) override {
    if (!Forward(where, msg, verbatim)) c10::WarningHandler::process(where, msg, verbatim);
  }
#endif

  // Replaces `env`'s sink; returns the new sink's id.
  uint64_t Add(napi_env env, Napi::ThreadSafeFunction tsfn) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = sinks_.begin(); it != sinks_.end(); ++it) {
      if (it->env != env) continue;
      it->tsfn.Release();
      sinks_.erase(it);
      break;
    }
    sinks_.push_back(Sink{++lastId_, env, std::move(tsfn), std::this_thread::get_id(), {}});
    return lastId_;
  }

  // Called as a sink's thread-safe function is finalized (released, or its environment torn down).
  void Remove(uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = sinks_.begin(); it != sinks_.end(); ++it) {
      if (it->id == id) {
        sinks_.erase(it);
        return;
      }
    }
  }

 private:
  // Queues the warning for the JS handler of the environment this thread works for; false where
  // that environment has none (then libtorch prints it to stderr).
  bool Forward(const c10::SourceLocation& where, const std::string& msg, bool verbatim) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Sink& sink : sinks_) {
      if (sink.env != tCurrentEnv) continue;
      if (!sink.seen.insert(Key(where, msg)).second) return true;
      if (sink.seen.size() > kMaxRemembered) sink.seen.clear();
      auto* item = new Queued{verbatim ? msg : msg + " (Triggered internally at " + where.file + ":" + std::to_string(where.line) + ".)", nullptr,
                              sink.tsfn};
      const bool onJsThread = std::this_thread::get_id() == sink.jsThread;
      if (onJsThread) {
        item->pending = sink.pendingOnJsThread;
        if ((*item->pending)++ == 0) napi_ref_threadsafe_function(sink.env, sink.tsfn);
      }
      if (sink.tsfn.NonBlockingCall(item, Deliver) != napi_ok) {
        if (onJsThread && --(*item->pending) == 0) napi_unref_threadsafe_function(sink.env, sink.tsfn);
        delete item;
      }
      return true;
    }
    return false;
  }

  static std::string Key(const c10::SourceLocation& where, const std::string& msg) {
    return std::string(where.file) + ":" + std::to_string(where.line) + ":" + msg;
  }

  static void Deliver(Napi::Env env, Napi::Function fn, Queued* item) {
    std::unique_ptr<Queued> owned(item);
    if (env == nullptr) return;  // environment shutting down
    if (owned->pending && --(*owned->pending) == 0) napi_unref_threadsafe_function(env, owned->tsfn);
    try {
      fn.Call({Napi::String::New(env, owned->text)});
    } catch (...) {  // the environment can no longer run JS; nothing may escape into N-API's C callback
    }
  }

  std::mutex mutex_;
  std::vector<Sink> sinks_;
  uint64_t lastId_ = 0;
};

// libtorch's warning handler of this thread.
#if TORCH_VERSION_MAJOR >= 2
c10::WarningHandler* ThreadHandler() { return c10::WarningUtils::get_warning_handler(); }
void SetThreadHandler(c10::WarningHandler* handler) { c10::WarningUtils::set_warning_handler(handler); }
#else
c10::WarningHandler* ThreadHandler() { return c10::Warning::get_warning_handler(); }
void SetThreadHandler(c10::WarningHandler* handler) { c10::Warning::set_warning_handler(handler); }
#endif

// Process lifetime: libtorch threads may warn until the very end, so it is never destroyed.
JsWarningHandler& Handler() {
  static auto* handler = new JsWarningHandler();
  return *handler;
}

// (fn: (message: string) => void) routes this environment's libtorch warnings to fn, replacing any
// earlier one; the handler does not keep the process alive.
Napi::Value SetWarningHandler(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) throw TypeErr(env, OpName(info), "argument 0 must be a function (message) => void");
  auto id = std::make_shared<uint64_t>(0);
  auto tsfn = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "nodetorch.warnings", 0, 1,
                                            [id](Napi::Env) { Handler().Remove(*id); });
  tsfn.Unref(env);
  *id = Handler().Add(env, tsfn);
  SetThreadHandler(&Handler());
  tCurrentEnv = env;
  return env.Undefined();
}

const OpSpec kWarningOps[] = {
    {"setWarningHandler", SetWarningHandler},
};

}  // namespace

napi_env CurrentWarningEnv() { return tCurrentEnv; }

WarningScope::WarningScope(napi_env env) : previousHandler_(ThreadHandler()), previousEnv_(tCurrentEnv) {
  SetThreadHandler(&Handler());
  tCurrentEnv = env;
}

WarningScope::~WarningScope() {
  SetThreadHandler(previousHandler_);
  tCurrentEnv = previousEnv_;
}

void RegisterWarnings(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kWarningOps); }

}  // namespace nt
