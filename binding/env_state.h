// env_state.h — per-environment (main thread or worker_thread) state, kept in N-API instance data.
#pragma once
#include <napi.h>

#include <cstdint>

namespace nt {

struct EnvState {
  // Live tensor handles and the native bytes attributed to them (memory()).
  int64_t numTensors = 0;
  int64_t numBytes = 0;
  // The JS OutOfMemoryError class, registered by lib/ at load time (optional).
  Napi::FunctionReference oomErrorClass;
};

// Creates this environment's state and attaches it as instance data (freed with the env).
EnvState* InitEnvState(Napi::Env env);

}  // namespace nt
