// jit_export.cc — exportTorchScript for native models: builds a TorchScript module whose
// submodules hold each nn module's parameters and buffers under the model's names (so state_dict
// names match), compiles the TorchScript source lib/io/jit_export.ts generated for
// each submodule and for the top-level forward, and saves it atomically (off the event loop).
#include "jit_export.h"

#include "args.h"
#include "async.h"
#include "jit_wrap.h"
#include "model_wrap.h"
#include "tensor_wrap.h"

namespace nt {

// Module i is registered under the model's name for it; dotted names become nested containers,
// so the state_dict names match the model's.
torch::jit::Module BuildScriptModule(NativeModel& model, const std::vector<SubmoduleSource>& subs, const std::string& forward) {
  if (subs.size() != model.graph.modules.size()) {
    throw std::logic_error("got sources for " + std::to_string(subs.size()) + " modules, the model has " + std::to_string(model.graph.modules.size()));
  }
  auto cu = std::make_shared<torch::jit::CompilationUnit>();
  torch::jit::Module top(c10::QualifiedName("__torch__.nodetorch.Model"), cu, true);
  top.register_attribute("training", c10::BoolType::get(), false);
  std::map<std::string, torch::jit::Module> containers;
  for (size_t i = 0; i < subs.size(); ++i) {
    std::shared_ptr<torch::nn::Module> native = model.graph.modules[i].ptr();
    const std::string& name = model.graph.ModuleName(i);
    torch::jit::Module sub(c10::QualifiedName("__torch__.nodetorch." + subs[i].className), cu, true);
    sub.register_attribute("training", c10::BoolType::get(), false);
    for (const auto& p : native->named_parameters(false)) sub.register_parameter(p.key(), p.value(), false);
    for (const auto& b : native->named_buffers(false)) sub.register_buffer(b.key(), b.value());
    try {
      sub.define(subs[i].source);
    } catch (const c10::Error& e) {
      throw std::logic_error("module '" + name + "' (" + subs[i].className + ") did not compile: " + e.what_without_backtrace());
    }
    torch::jit::Module parent = top;
    size_t begin = 0;
    for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', begin)) {
      std::string prefix = name.substr(0, dot);
      auto found = containers.find(prefix);
      if (found == containers.end()) {
        torch::jit::Module container(c10::QualifiedName("__torch__.nodetorch.Container" + std::to_string(containers.size())), cu, true);
        container.register_attribute("training", c10::BoolType::get(), false);
        parent.register_module(name.substr(begin, dot - begin), container);
        found = containers.emplace(prefix, container).first;
      }
      parent = found->second;
      begin = dot + 1;
    }
    parent.register_module(name.substr(begin), sub);
  }
  top.define(forward);
  return top;
}

std::vector<SubmoduleSource> SubmoduleSourcesArg(const Napi::CallbackInfo& info, size_t i, const char* op) {
  if (!info[i].IsArray()) throw TypeErr(info.Env(), op, "module sources must be an array");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<SubmoduleSource> subs;
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Object entry = arr.Get(k).As<Napi::Object>();
    subs.push_back({entry.Get("className").As<Napi::String>().Utf8Value(), entry.Get("source").As<Napi::String>().Utf8Value()});
  }
  return subs;
}

namespace {

class ExportWorker : public PromiseWorker {
 public:
  ExportWorker(Napi::Env env, std::shared_ptr<NativeModel> model, std::vector<SubmoduleSource> subs, std::string forward, std::string path)
      : PromiseWorker(env, "exportTorchScript"),
        model_(std::move(model)),
        subs_(std::move(subs)),
        forward_(std::move(forward)),
        path_(std::move(path)) { Uses(model_->owner, "exportTorchScript"); }

 protected:
  void Run() override {
    Owner::Hold hold = model_->owner.Read();  // the module shares the model's tensors and only reads them
    SaveModuleAtomically(BuildScriptModule(*model_, subs_, forward_), path_);
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<NativeModel> model_;
  std::vector<SubmoduleSource> subs_;
  std::string forward_;
  std::string path_;
};

// (model, [{ className, source }], forwardSource, path) → Promise<void>
Napi::Value ExportModel(const Napi::CallbackInfo& info) {
  auto model = ModelArg(info, 0);
  std::vector<SubmoduleSource> subs = SubmoduleSourcesArg(info, 1, "exportTorchScript");
  return (new ExportWorker(info.Env(), std::move(model), std::move(subs), StringArg(info, 2), StringArg(info, 3)))->Queue();
}

const OpSpec kJitExportOps[] = {
    {"jitExportModel", ExportModel},
};

}  // namespace

void RegisterJitExport(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kJitExportOps); }

}  // namespace nt
