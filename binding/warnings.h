// warnings.h — routes libtorch warnings (TORCH_WARN) raised on a thread to the JS environment the
// thread works for. libtorch's warning handler is per thread (1.13 and 2.x), so every thread that runs ops for
// JS enters a WarningScope (PromiseWorker does so for all async work; JS threads at registration).
#pragma once
#include <c10/util/Exception.h>
#include <node_api.h>

namespace nt {

// For its lifetime, warnings raised on this thread go to `env`'s handler (setWarningHandler); where
// that environment registered none, they are printed to stderr as libtorch does by default.
// The environment warnings raised on this thread go to (nullptr: none), to hand to a thread it starts.
napi_env CurrentWarningEnv();

class WarningScope {
 public:
  explicit WarningScope(napi_env env);
  ~WarningScope();
  WarningScope(const WarningScope&) = delete;
  WarningScope& operator=(const WarningScope&) = delete;

 private:
  c10::WarningHandler* previousHandler_;
  napi_env previousEnv_;
};

}  // namespace nt
