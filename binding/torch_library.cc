// torch_library.cc — the libtorch actually loaded: its self-reported version (from at::show_config's
// build settings, present in 1.13 and 2.x), its file (dladdr on an ATen function), and the load-time
// check against the version of the headers compiled against (TORCH_VERSION), and the settings
// applied to it as the addon loads.
#include "torch_library.h"

#include <ATen/Context.h>
#include <ATen/Version.h>
#include <dlfcn.h>
#include <torch/version.h>

#include <climits>
#include <cstdlib>

#include "errors.h"

namespace nt {

std::string TorchBuildSetting(const std::string& key) {
  static const std::string config = at::show_config();
  const std::string needle = key + "=";
  size_t at = 0;
  // A key starts the settings line or follows ", ".
  while ((at = config.find(needle, at)) != std::string::npos) {
    if (at == 0 || config[at - 1] == ' ' || config[at - 1] == ',') break;
    at += needle.size();
  }
  if (at == std::string::npos) return "";
  at += needle.size();
  return config.substr(at, config.find_first_of(",\n", at) - at);
}

std::string LoadedTorchVersion() { return TorchBuildSetting("TORCH_VERSION"); }

std::string LoadedTorchLibrary() {
  Dl_info where{};
  if (dladdr(reinterpret_cast<void*>(&at::show_config), &where) == 0 || where.dli_fname == nullptr) return "";
  char resolved[PATH_MAX];
  return realpath(where.dli_fname, resolved) != nullptr ? resolved : where.dli_fname;
}

namespace {

// "2.13.0" → "2.13".
std::string MajorMinor(const std::string& version) {
  size_t first = version.find('.');
  if (first == std::string::npos) return version;
  return version.substr(0, version.find_first_not_of("0123456789", first + 1));
}

}  // namespace

void CheckLoadedTorch(Napi::Env env) {
  const std::string loaded = LoadedTorchVersion();
  if (loaded.empty() || MajorMinor(loaded) == MajorMinor(TORCH_VERSION)) return;
  throw PlainErr(env, "nodetorch",
                 "this addon was compiled against libtorch " TORCH_VERSION " but loaded libtorch " + loaded + " (" + LoadedTorchLibrary() +
                     "). Rebuild it against the libtorch it runs with (npm run build, or npx nodetorch rebuild; LIBTORCH=<folder> "
                     "selects another), or make the libtorch it was built against the one loaded (LD_LIBRARY_PATH).");
}

void ConfigureLoadedTorch() {
#if TORCH_VERSION_MAJOR >= 2
  at::globalContext().setUserEnabledNNPACK(false);
#endif
}

}  // namespace nt
