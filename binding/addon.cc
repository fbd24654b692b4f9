// addon.cc — the addon's entry point: creates per-environment state and registers every export.
#include <napi.h>

#include "cpu_block_cache.h"
#include "env_state.h"
#include "malloc_policy.h"
#include "tensor_wrap.h"
#include "torch_library.h"

namespace nt {
void RegisterTensorCreation(Napi::Env env, Napi::Object exports);
void RegisterTensorData(Napi::Env env, Napi::Object exports);
void RegisterTensorMath(Napi::Env env, Napi::Object exports);
void RegisterTensorShape(Napi::Env env, Napi::Object exports);
void RegisterNnFunctional(Napi::Env env, Napi::Object exports);
void RegisterAutograd(Napi::Env env, Napi::Object exports);
void RegisterRuntime(Napi::Env env, Napi::Object exports);
void RegisterModelWrap(Napi::Env env, Napi::Object exports);
void RegisterTrainer(Napi::Env env, Napi::Object exports);
void RegisterJitWrap(Napi::Env env, Napi::Object exports);
void RegisterJitExport(Napi::Env env, Napi::Object exports);
void RegisterFrozenForward(Napi::Env env, Napi::Object exports);
void RegisterSafetensors(Napi::Env env, Napi::Object exports);
void RegisterTrainingState(Napi::Env env, Napi::Object exports);
void RegisterGanTrainer(Napi::Env env, Napi::Object exports);
void RegisterTensorOptimizer(Napi::Env env, Napi::Object exports);
void RegisterDataset(Napi::Env env, Napi::Object exports);
void RegisterWarnings(Napi::Env env, Napi::Object exports);
void RegisterDistributedGroup(Napi::Env env, Napi::Object exports);
void RegisterDistributedReducer(Napi::Env env, Napi::Object exports);
void RegisterMixedPrecision(Napi::Env env, Napi::Object exports);
}  // namespace nt

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  nt::CheckLoadedTorch(env);
  nt::ConfigureLoadedTorch();
  nt::ApplyMallocPolicy();
  nt::InstallCpuBlockCache();
  nt::InitEnvState(env);
  nt::RegisterTensorWrap(env, exports);
  nt::RegisterTensorCreation(env, exports);
  nt::RegisterTensorData(env, exports);
  nt::RegisterTensorMath(env, exports);
  nt::RegisterTensorShape(env, exports);
  nt::RegisterNnFunctional(env, exports);
  nt::RegisterAutograd(env, exports);
  nt::RegisterRuntime(env, exports);
  nt::RegisterModelWrap(env, exports);
  nt::RegisterTrainer(env, exports);
  nt::RegisterJitWrap(env, exports);
  nt::RegisterJitExport(env, exports);
  nt::RegisterFrozenForward(env, exports);
  nt::RegisterSafetensors(env, exports);
  nt::RegisterTrainingState(env, exports);
  nt::RegisterGanTrainer(env, exports);
  nt::RegisterTensorOptimizer(env, exports);
  nt::RegisterDataset(env, exports);
  nt::RegisterWarnings(env, exports);
  nt::RegisterDistributedGroup(env, exports);
  nt::RegisterDistributedReducer(env, exports);
  nt::RegisterMixedPrecision(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(nodetorch, Init)
