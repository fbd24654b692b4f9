// torch_library.h — which libtorch this process actually runs on (version and file of the library
// loaded, which need not be the one whose headers the addon was compiled against), and the check,
// made as the addon loads, that the two agree.
#pragma once
#include <napi.h>

#include <string>

namespace nt {

// The version the loaded libtorch reports about itself ("2.13.0"; "" where its build settings do not say).
std::string LoadedTorchVersion();
// The file of the loaded library that holds ATen (libtorch_cpu.so), resolved to its real path.
std::string LoadedTorchLibrary();
// One entry of the loaded libtorch's build settings (at::show_config: "BLAS_INFO" → "mkl"); "" if absent.
std::string TorchBuildSetting(const std::string& key);

// Throws a JS error when the loaded libtorch's major.minor version is not the one of the headers
// the addon was compiled against (their C++ ABI differs; calls would crash or misbehave).
void CheckLoadedTorch(Napi::Env env);

// Process-wide libtorch settings made as the addon loads: libtorch 2.x's NNPACK convolutions are
// turned off (Debian's 1.13 is built without NNPACK; on CPUs NNPACK does not know, e.g. AMD Zen 5,
// 2.x would log "Could not initialize NNPACK! Reason: Unsupported hardware" on every conv call).
void ConfigureLoadedTorch();

}  // namespace nt
