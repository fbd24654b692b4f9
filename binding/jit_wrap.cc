// jit_wrap.cc — TorchScript modules from JS: load (off the event loop), method calls (async and
// sync, arguments converted by the method schema), parameters, train/eval, device moves, atomic
// save, and TorchScript errors turned into JS errors named after the method.
#include "jit_wrap.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "args.h"
#include "external.h"
#include "async.h"
#include "ivalue_convert.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

using CallbackInfo = Napi::CallbackInfo;

constexpr const char* kInterpreterPrefix = "The following operation failed in the TorchScript interpreter.";

std::shared_ptr<JitModel> JitArg(const CallbackInfo& info, size_t i, const char* op) {
  std::shared_ptr<JitModel> model = ExternalOf<JitHandle>(info.Env(), info[i], op, "a TorchScript module")->model;
  if (!model) throw PlainErr(info.Env(), op, "the module was disposed");
  return model;
}

// Rewrites an interpreter failure ("The following operation failed ...\nTraceback ...\n
// builtins.ValueError: msg") as "ValueError: msg\nTraceback ..." (a RuntimeError's class is
// dropped) and throws it with the matching class: ValueError/IndexError/KeyError → RangeError,
// TypeError → TypeError, anything else → Error. Other messages pass through unchanged.
[[noreturn]] void ThrowScriptFailure(const std::string& message) {
  if (message.rfind(kInterpreterPrefix, 0) != 0) throw std::runtime_error(message);
  std::istringstream in(message);
  std::string line;
  std::getline(in, line);
  std::string traceback;
  std::string error;
  while (std::getline(in, line)) {
    bool tracebackLine = line.empty() || line[0] == ' ' || line.rfind("Traceback of TorchScript", 0) == 0;
    if (error.empty() && tracebackLine) {
      if (!line.empty()) traceback += "\n" + line;
    } else {
      error += error.empty() ? line : "\n" + line;
    }
  }
  while (!error.empty() && error.back() == '\n') error.pop_back();
  std::string cls;
  size_t colon = error.find(": ");
  if (colon != std::string::npos && error.find(' ') > colon) {
    cls = error.substr(0, colon);
    size_t dot = cls.rfind('.');
    if (dot != std::string::npos) cls = cls.substr(dot + 1);
    error = (cls == "RuntimeError" ? "" : cls + ": ") + error.substr(colon + 2);
  }
  std::string full = error + traceback;
  if (cls == "TypeError") throw std::invalid_argument(full);
  if (cls == "ValueError" || cls == "IndexError" || cls == "KeyError") throw std::out_of_range(full);
  throw std::runtime_error(full);
}

// Runs `fn`, translating TorchScript interpreter failures (see ThrowScriptFailure).
template <typename Fn>
auto RunScript(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const c10::Error& e) {
    if (std::string(e.what_without_backtrace()).rfind(kInterpreterPrefix, 0) == 0) ThrowScriptFailure(e.what_without_backtrace());
    throw;
  } catch (const std::runtime_error& e) {  // includes torch::jit::JITException (a `raise` in the script)
    if (std::string(e.what()).rfind(kInterpreterPrefix, 0) == 0) ThrowScriptFailure(e.what());
    throw;
  }
}

Napi::Value NewHandle(Napi::Env env, std::shared_ptr<JitModel> model) {
  auto handle = std::make_unique<JitHandle>();
  handle->model = std::move(model);
  return OwnedExternal(env, std::move(handle));
}

// ---- load -----------------------------------------------------------------------------------

class LoadWorker : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, std::string path, c10::optional<at::Device> device)
      : PromiseWorker(env, "jit.load"), path_(std::move(path)), device_(device) {}

 protected:
  void Run() override {
    std::ifstream probe(path_, std::ios::binary);
    if (!probe) throw std::runtime_error("cannot open '" + path_ + "': " + std::strerror(errno));
    probe.close();
    auto model = std::make_shared<JitModel>();
    try {
      model->module = torch::jit::load(path_, device_);
    } catch (const c10::Error& e) {
      throw std::runtime_error("'" + path_ + "' is not a TorchScript module this libtorch can load: " + e.what_without_backtrace());
    }
    model_ = std::move(model);
  }
  Napi::Value Result(Napi::Env env) override { return NewHandle(env, std::move(model_)); }

 private:
  std::string path_;
  c10::optional<at::Device> device_;
  std::shared_ptr<JitModel> model_;
};

// (path, device | null) → Promise<module handle>
Napi::Value Load(const CallbackInfo& info) {
  std::string path = StringArg(info, 0);
  c10::optional<at::Device> device;
  if (!IsNullish(info[1])) device = at::Device(StringArg(info, 1));
  return (new LoadWorker(info.Env(), std::move(path), device))->Queue();
}

// ---- method calls ---------------------------------------------------------------------------

// A method call prepared on the main thread: the method and its arguments as IValues.
struct PreparedCall {
  std::string name;
  std::shared_ptr<JitModel> model;
  std::vector<c10::IValue> args;
  bool gradEnabled = true;
};

std::string MethodList(const torch::jit::Module& module) {
  std::string out;
  for (const auto& m : module.get_methods()) out += (out.empty() ? "" : ", ") + m.name();
  return out.empty() ? "none" : out;
}

// (module, name, args[]) read from info; conversion errors name the method. Async calls are for
// inference and run without autograd (like predict); sync calls keep the caller's grad mode.
PreparedCall Prepare(const CallbackInfo& info, bool async) {
  PreparedCall call;
  call.name = StringArg(info, 1);
  const char* op = call.name.c_str();
  call.model = JitArg(info, 0, op);
  c10::optional<torch::jit::Method> method = call.model->module.find_method(call.name);
  if (!method) throw RangeErr(info.Env(), op, "the module has no method '" + call.name + "' (methods: " + MethodList(call.model->module) + ")");
  if (!info[2].IsArray()) throw TypeErr(info.Env(), op, "arguments must be an array");
  Napi::Array args = info[2].As<Napi::Array>();
  const auto& params = method->function().getSchema().arguments();  // params[0] is self
  size_t accepted = params.empty() ? 0 : params.size() - 1;
  if (args.Length() > accepted) {
    throw TypeErr(info.Env(), op, "takes " + std::to_string(accepted) + " argument(s), got " + std::to_string(args.Length()));
  }
  for (uint32_t i = 0; i < args.Length(); ++i) {
    const auto& param = params[i + 1];
    call.args.push_back(JsToIValue(info.Env(), op, args.Get(i), param.type(), "argument " + std::to_string(i) + " '" + param.name() + "'"));
  }
  call.gradEnabled = !async && at::GradMode::is_enabled();
  return call;
}

// Calls the method, holding the module: waiting for it on a worker thread, or taking it now
// (or throwing) on the JS thread.
c10::IValue Invoke(PreparedCall& call, bool onJsThread) {
  Owner::Hold hold = onJsThread ? call.model->owner.TryWrite(call.name.c_str()) : call.model->owner.Write(call.name.c_str());
  at::AutoGradMode grad(call.gradEnabled);
  torch::jit::Method method = call.model->module.get_method(call.name);
  return RunScript([&] { return method(std::move(call.args)); });
}

// Holds the method name before PromiseWorker is constructed, so that its op name (used in error
// messages) points at storage that lives as long as the worker.
struct MethodName {
  std::string value;
};

class CallWorker : private MethodName, public PromiseWorker {
 public:
  CallWorker(Napi::Env env, PreparedCall call)
      : MethodName{call.name}, PromiseWorker(env, MethodName::value.c_str()), call_(std::move(call)) {}

 protected:
  void Run() override { result_ = Invoke(call_, false); }
  Napi::Value Result(Napi::Env env) override { return IValueToJs(env, MethodName::value.c_str(), result_); }

 private:
  PreparedCall call_;
  c10::IValue result_;
};

// Runs `body` so that any error is named after the method being called (info[1]).
template <typename Body>
Napi::Value NamedAfterMethod(const CallbackInfo& info, Body body) {
  std::string name = StringArg(info, 1);
  try {
    return body();
  } catch (...) {
    throw CurrentExceptionAsJs(info.Env(), name.c_str());
  }
}

// (module, name, args[]) → Promise<result>, computed on a worker thread without autograd
Napi::Value RunMethod(const CallbackInfo& info) {
  return NamedAfterMethod(info, [&]() -> Napi::Value {
    return (new CallWorker(info.Env(), Prepare(info, true)))->Queue();
  });
}

// (module, name, args[]) → result, on the calling thread, with autograd as the caller's grad mode says
Napi::Value RunMethodSync(const CallbackInfo& info) {
  return NamedAfterMethod(info, [&]() -> Napi::Value {
    PreparedCall call = Prepare(info, false);
    return IValueToJs(info.Env(), call.name.c_str(), Invoke(call, true));
  });
}

// ---- state, modes, devices ------------------------------------------------------------------

template <typename List>
Napi::Value NamedTensors(Napi::Env env, const List& list) {
  Napi::Array out = Napi::Array::New(env);
  uint32_t k = 0;
  for (const auto& item : list) {
    Napi::Array entry = Napi::Array::New(env, 2);
    entry.Set(0u, Napi::String::New(env, item.name));
    entry.Set(1u, Wrap(env, item.value));
    out.Set(k++, entry);
  }
  return out;
}

// (module) → [[name, tensor], ...] aliasing the parameters themselves (grads, in-place updates)
Napi::Value NamedParameters(const CallbackInfo& info) {
  return NamedTensors(info.Env(), JitArg(info, 0, "namedParameters")->module.named_parameters(true));
}

Napi::Value NamedBuffers(const CallbackInfo& info) {
  return NamedTensors(info.Env(), JitArg(info, 0, "namedBuffers")->module.named_buffers(true));
}

Napi::Value MethodNames(const CallbackInfo& info) {
  auto model = JitArg(info, 0, "methodNames");
  Napi::Array out = Napi::Array::New(info.Env());
  uint32_t k = 0;
  for (const auto& m : model->module.get_methods()) out.Set(k++, Napi::String::New(info.Env(), m.name()));
  return out;
}

// (module, name) → the method's schema, e.g. "forward(__torch__.Net self, Tensor x) -> Tensor"
Napi::Value Schema(const CallbackInfo& info) {
  auto model = JitArg(info, 0, "schema");
  std::string name = StringArg(info, 1);
  c10::optional<torch::jit::Method> method = model->module.find_method(name);
  if (!method) throw RangeErr(info.Env(), "schema", "the module has no method '" + name + "' (methods: " + MethodList(model->module) + ")");
  std::ostringstream out;
  out << method->function().getSchema();
  return Napi::String::New(info.Env(), out.str());
}

Napi::Value SetTraining(const CallbackInfo& info) {
  auto model = JitArg(info, 0, "train");
  bool on = BoolArg(info, 1);
  Owner::Hold hold = model->owner.TryWrite("train");
  model->module.train(on);
  return info.Env().Undefined();
}

Napi::Value IsTraining(const CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), JitArg(info, 0, "training")->module.is_training());
}

// (module, device) moves parameters and buffers in place (existing parameter tensors follow).
Napi::Value To(const CallbackInfo& info) {
  auto model = JitArg(info, 0, "to");
  at::Device device(StringArg(info, 1));
  Owner::Hold hold = model->owner.TryWrite("to");
  model->module.to(device);
  return info.Env().Undefined();
}

class SaveWorker : public PromiseWorker {
 public:
  SaveWorker(Napi::Env env, std::shared_ptr<JitModel> model, std::string path)
      : PromiseWorker(env, "save"), model_(std::move(model)), path_(std::move(path)) {}

 protected:
  void Run() override {
    Owner::Hold hold = model_->owner.Read();
    SaveModuleAtomically(model_->module, path_);
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<JitModel> model_;
  std::string path_;
};

// (module, path) → Promise<void>
Napi::Value Save(const CallbackInfo& info) {
  return (new SaveWorker(info.Env(), JitArg(info, 0, "save"), StringArg(info, 1)))->Queue();
}

// Drops the handle's reference (calls in flight keep the module alive until they finish).
Napi::Value Dispose(const CallbackInfo& info) {
  ExternalOf<JitHandle>(info.Env(), info[0], "dispose", "a TorchScript module")->model.reset();
  return info.Env().Undefined();
}

const OpSpec kJitOps[] = {
    {"jitLoad", Load},
    {"jitRunMethod", RunMethod},
    {"jitRunMethodSync", RunMethodSync},
    {"jitNamedParameters", NamedParameters},
    {"jitNamedBuffers", NamedBuffers},
    {"jitMethodNames", MethodNames},
    {"jitSchema", Schema},
    {"jitSetTraining", SetTraining},
    {"jitIsTraining", IsTraining},
    {"jitTo", To},
    {"jitSave", Save},
    {"jitDispose", Dispose},
};

std::string Errno(const std::string& path) { return "cannot write '" + path + "': " + std::strerror(errno); }

// fsyncs a file or directory; filesystems that cannot sync directories answer EINVAL (nothing to do).
void FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(Errno(path));
  int rc = ::fsync(fd);
  int error = errno;
  ::close(fd);
  errno = error;
  if (rc != 0 && errno != EINVAL) throw std::runtime_error(Errno(path));
}

}  // namespace

void SaveModuleAtomically(const torch::jit::Module& module, const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  try {
    try {
      module.save(tmp);
    } catch (const c10::Error& e) {
      throw std::runtime_error("cannot write '" + path + "': " + e.what_without_backtrace());
    }
    FsyncPath(tmp, O_RDONLY);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error(Errno(path));
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  size_t slash = path.rfind('/');
  FsyncPath(slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash)), O_RDONLY | O_DIRECTORY);
}

void RegisterJitWrap(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kJitOps); }

}  // namespace nt
