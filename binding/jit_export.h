// jit_export.h — a native model as a TorchScript module, from the TorchScript sources
// lib/io/jit_export.ts generates: what exportTorchScript saves and optimizeForInference freezes.
#pragma once
#include <napi.h>
#include <torch/script.h>

#include <string>
#include <vector>

#include "model_wrap.h"

namespace nt {

struct SubmoduleSource {
  std::string className;  // e.g. "Conv2d" (mangled if repeated)
  std::string source;     // TorchScript `def forward(self, x): ...`
};

// The module sources passed as argument i ([{ className, source }]); throws a TypeError naming `op`.
std::vector<SubmoduleSource> SubmoduleSourcesArg(const Napi::CallbackInfo& info, size_t i, const char* op);

// The model as a TorchScript module in eval mode, sharing the model's tensors (the caller holds
// the model for reading while it uses them). Throws std::logic_error naming a module that does
// not compile, or when `subs` does not match the model's modules.
torch::jit::Module BuildScriptModule(NativeModel& model, const std::vector<SubmoduleSource>& subs, const std::string& forward);

}  // namespace nt
