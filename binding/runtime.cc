// runtime.cc — process-wide facts and settings: info(), seeds, thread counts, CUDA queries.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <atomic>
#include <fstream>
#include <string>

#include "args.h"
#include "cpu_block_cache.h"
#include "malloc_policy.h"
#include "tensor_wrap.h"
#include "thread_count.h"
#include "torch_library.h"

#ifndef NODETORCH_BUILD_TYPE
#define NODETORCH_BUILD_TYPE "unknown"
#endif
#ifndef NODETORCH_CXX_COMPILER
#define NODETORCH_CXX_COMPILER "unknown"
#endif
#ifndef NODETORCH_TORCH_DIR
#define NODETORCH_TORCH_DIR "unknown"
#endif

namespace nt {

namespace {

using CallbackInfo = Napi::CallbackInfo;

// The BLAS library actually mapped into this process (Debian's libtorch links the system libblas.so.3,
// which Debian's alternatives point at the reference BLAS or OpenBLAS); where none is, the one
// linked into libtorch itself (PyTorch's own builds carry MKL statically).
std::string LoadedBlas() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    if (path.find("openblas") != std::string::npos || path.find("libblas") != std::string::npos ||
        path.find("libmkl") != std::string::npos || path.find("blis") != std::string::npos) {
      return path;
    }
  }
  std::string builtIn = TorchBuildSetting("BLAS_INFO");
  return builtIn.empty() ? "" : builtIn + " (linked into " + LoadedTorchLibrary() + ")";
}

// OpenBLAS keeps its own thread pool, which at::set_num_threads does not reach (libtorch hands
// BLAS calls to it directly). Its setters are looked up in the process, not linked: the BLAS
// behind libblas.so.3 may be another library, and then there is nothing to cap.
using BlasSetThreads = void (*)(int);
using BlasGetThreads = int (*)();

BlasSetThreads OpenBlasSetThreads() {
  static auto fn = reinterpret_cast<BlasSetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  return fn;
}

BlasGetThreads OpenBlasGetThreads() {
  static auto fn = reinterpret_cast<BlasGetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return fn;
}

Napi::Value Info(const CallbackInfo& i) {
  Napi::Env env = i.Env();
  Napi::Object out = Napi::Object::New(env);
  const std::string loaded = LoadedTorchVersion();
  out.Set("libtorchVersion", loaded.empty() ? TORCH_VERSION : loaded);
  out.Set("libtorchPath", LoadedTorchLibrary());
  bool cuda = torch::cuda::is_available();
  out.Set("cudaAvailable", cuda);
  out.Set("cudaDeviceCount", static_cast<double>(torch::cuda::device_count()));
  out.Set("cudnnAvailable", cuda && torch::cuda::cudnn_is_available());
  const auto& hooks = at::detail::getCUDAHooks();
  out.Set("cudaBuilt", at::hasCUDA() || hooks.hasCUDA());
  if (cuda) {
    long runtime = hooks.versionCUDART();
    out.Set("cudaVersion", std::to_string(runtime / 1000) + "." + std::to_string((runtime % 1000) / 10));
    long cudnn = hooks.versionCuDNN();
    if (cudnn > 0) out.Set("cudnnVersion", static_cast<double>(cudnn));
  }
  out.Set("mkldnn", at::hasMKLDNN());
  out.Set("openmp", at::hasOpenMP());
  out.Set("blas", LoadedBlas());
  out.Set("malloc", ApplyMallocPolicy());
  out.Set("cpuAllocator", InstallCpuBlockCache());
  out.Set("numThreads", static_cast<double>(at::get_num_threads()));
  BlasGetThreads blasThreads = OpenBlasGetThreads();
  out.Set("blasThreads", blasThreads != nullptr ? Napi::Value(Napi::Number::New(env, blasThreads())) : env.Null());
  out.Set("numInteropThreads", static_cast<double>(at::get_num_interop_threads()));
  out.Set("parallelInfo", at::get_parallel_info());
  out.Set("buildConfig", at::show_config());
  Napi::Object build = Napi::Object::New(env);
  build.Set("type", NODETORCH_BUILD_TYPE);
  build.Set("compiler", NODETORCH_CXX_COMPILER);
  build.Set("libtorchVersion", TORCH_VERSION);
  build.Set("torchDir", NODETORCH_TORCH_DIR);
  build.Set("napiVersion", static_cast<double>(NAPI_VERSION));
  out.Set("build", build);
  return out;
}

// Bumped by each SetThreadCount; a thread that has applied this version has the current count.
std::atomic<int> threadCountVersion{0};

}  // namespace

void SetThreadCount(int n) {
  at::set_num_threads(n);
  if (BlasSetThreads setBlas = OpenBlasSetThreads()) setBlas(n);  // a process-wide setting
  threadCountVersion.fetch_add(1, std::memory_order_release);
}

void ApplyThreadCount() {
  thread_local int applied = -1;
  const int version = threadCountVersion.load(std::memory_order_acquire);
  if (applied == version) return;
  applied = version;
  at::init_num_threads();  // libtorch's count (or its default) onto this thread's OpenMP setting
}

namespace {

const OpSpec kRuntimeOps[] = {
    {"info", Info},
    {"manualSeed",
     [](const CallbackInfo& i) -> Napi::Value {
       at::manual_seed(static_cast<uint64_t>(IntArg(i, 0)));
       return i.Env().Undefined();
     }},
    {"setNumThreads",
     [](const CallbackInfo& i) -> Napi::Value {
       int64_t n = IntArg(i, 0);
       if (n < 1) throw RangeErr(i.Env(), "setNumThreads", "expected a positive thread count, got " + std::to_string(n));
       SetThreadCount(static_cast<int>(n));
       return i.Env().Undefined();
     }},
    {"getNumThreads", [](const CallbackInfo& i) -> Napi::Value { return Napi::Number::New(i.Env(), at::get_num_threads()); }},
    {"cudaIsAvailable", [](const CallbackInfo& i) -> Napi::Value { return Napi::Boolean::New(i.Env(), torch::cuda::is_available()); }},
    {"cudaDeviceCount",
     [](const CallbackInfo& i) -> Napi::Value {
       return Napi::Number::New(i.Env(), static_cast<double>(torch::cuda::device_count()));
     }},
    {"cudaSynchronize",
     [](const CallbackInfo& i) -> Napi::Value {
       if (!torch::cuda::is_available()) throw PlainErr(i.Env(), "cuda.synchronize", "CUDA is not available");
       torch::cuda::synchronize(IsNullish(i[0]) ? -1 : IntArg(i, 0));
       return i.Env().Undefined();
     }},
};

}  // namespace

void RegisterRuntime(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kRuntimeOps); }

}  // namespace nt
