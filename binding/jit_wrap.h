// jit_wrap.h — the native side of a loaded TorchScript module (nt.jit.load): the module, its
// Owner (ownership.h), and the atomic writer shared with exportTorchScript.
#pragma once
#include <napi.h>
#include <torch/script.h>

#include <memory>
#include <string>

#include "ownership.h"

namespace nt {

// One TorchScript module. Every method call, mode change and device move holds it for writing
// (a method may update buffers; train() and to() change it), a save for reading: async calls on
// one module run one after another, and a sync call while one runs throws (docs/concurrency.md).
struct JitModel {
  torch::jit::Module module;
  Owner owner{"the module"};
};

struct JitHandle {
  static constexpr uint64_t kMagic = 0x6e744a69744d6f31ull;
  uint64_t magic = kMagic;
  std::shared_ptr<JitModel> model;
};

// Saves `module` to `path` atomically: writes a temp file beside it, fsyncs it and renames it
// over `path`, so a crash leaves either the old file or the new one. Errors name the file.
void SaveModuleAtomically(const torch::jit::Module& module, const std::string& path);

void RegisterJitWrap(Napi::Env env, Napi::Object exports);

}  // namespace nt
