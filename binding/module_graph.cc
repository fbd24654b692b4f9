// module_graph.cc — builds libtorch nn modules from resolved layer specs (initializers,
// regularizers), registers them under their names, and runs the graph of calls between them.
#include "module_graph.h"

#include <algorithm>

#include "errors.h"
#include "spec_reader.h"

namespace nt {
namespace {

namespace nn = torch::nn;

using Fn = std::function<at::Tensor(at::Tensor)>;

nn::AnyModule Functional(Fn fn) { return nn::AnyModule(nn::Functional(std::move(fn))); }

// Applies an initializer spec ({ name, ...params }) to a parameter in place.
void Initialize(at::Tensor p, const SpecReader& init, const std::string& where) {
  torch::NoGradGuard noGrad;
  std::string name = init.String("name");
  if (name == "zeros") {
    nn::init::zeros_(p);
  } else if (name == "ones") {
    nn::init::ones_(p);
  } else if (name == "constant") {
    nn::init::constant_(p, init.Number("value"));
  } else if (name == "normal") {
    nn::init::normal_(p, init.Number("mean", 0.0), init.Number("std", 0.05));
  } else if (name == "uniform") {
    nn::init::uniform_(p, init.Number("min", -0.05), init.Number("max", 0.05));
  } else if (name == "glorotUniform") {
    nn::init::xavier_uniform_(p);
  } else if (name == "glorotNormal") {
    nn::init::xavier_normal_(p);
  } else if (name == "heUniform" || name == "heNormal") {
    std::string mode = init.Has("mode") ? init.String("mode") : "fanIn";
    if (mode != "fanIn" && mode != "fanOut") throw std::invalid_argument(where + ": initializer mode must be 'fanIn' or 'fanOut'");
    nn::init::FanModeType fan = mode == "fanOut" ? nn::init::FanModeType(torch::kFanOut) : nn::init::FanModeType(torch::kFanIn);
    if (name == "heUniform") {
      nn::init::kaiming_uniform_(p, 0, fan, torch::kReLU);
    } else {
      nn::init::kaiming_normal_(p, 0, fan, torch::kReLU);
    }
  } else {
    throw std::invalid_argument(where + ": unknown initializer '" + name + "'");
  }
}

template <size_t D>
torch::ExpandingArray<D> Expand(const std::vector<int64_t>& v, const std::string& where, const char* field) {
  if (v.size() != D) throw std::invalid_argument(where + ": '" + field + "' needs " + std::to_string(D) + " values");
  return torch::ExpandingArray<D>(at::IntArrayRef(v));
}

template <size_t D>
typename nn::ConvOptions<D>::padding_t ConvPadding(const SpecReader& s, const std::string& where) {
  Napi::Value v = s.Raw("padding");
  if (v.IsString()) {
    std::string mode = v.As<Napi::String>().Utf8Value();
    if (mode == "same") return torch::kSame;
    if (mode == "valid") return torch::kValid;
    throw std::invalid_argument(where + ": padding must be 'same', 'valid' or numbers, got '" + mode + "'");
  }
  return Expand<D>(s.Ints("padding"), where, "padding");
}

// Builds one module; parameters it owns are initialized and regularizers recorded in `graph`.
nn::AnyModule BuildModule(const SpecReader& s, const std::string& where, ModuleGraph& graph) {
  std::string kind = s.String("kind");
  std::shared_ptr<nn::Module> params;  // the module whose weight/bias get init/regularizer
  nn::AnyModule module;
  if (kind == "linear") {
    nn::Linear m(nn::LinearOptions(s.Int("inFeatures"), s.Int("outFeatures")).bias(s.Bool("bias", true)));
    params = m.ptr();
    module = nn::AnyModule(m);
  } else if (kind == "conv1d") {
    nn::Conv1dOptions o(s.Int("inChannels"), s.Int("outChannels"), Expand<1>(s.Ints("kernel"), where, "kernel"));
    o.stride(Expand<1>(s.Ints("stride"), where, "stride")).padding(ConvPadding<1>(s, where))
        .dilation(Expand<1>(s.Ints("dilation"), where, "dilation")).groups(s.Int("groups", 1)).bias(s.Bool("bias", true));
    nn::Conv1d m(o);
    params = m.ptr();
    module = nn::AnyModule(m);
  } else if (kind == "conv2d") {
    nn::Conv2dOptions o(s.Int("inChannels"), s.Int("outChannels"), Expand<2>(s.Ints("kernel"), where, "kernel"));
    o.stride(Expand<2>(s.Ints("stride"), where, "stride")).padding(ConvPadding<2>(s, where))
        .dilation(Expand<2>(s.Ints("dilation"), where, "dilation")).groups(s.Int("groups", 1)).bias(s.Bool("bias", true));
    nn::Conv2d m(o);
    params = m.ptr();
    module = nn::AnyModule(m);
  } else if (kind == "convTranspose2d") {
    nn::ConvTranspose2dOptions o(s.Int("inChannels"), s.Int("outChannels"), Expand<2>(s.Ints("kernel"), where, "kernel"));
    o.stride(Expand<2>(s.Ints("stride"), where, "stride")).padding(Expand<2>(s.Ints("padding"), where, "padding"))
        .output_padding(Expand<2>(s.Ints("outputPadding"), where, "outputPadding"))
        .dilation(Expand<2>(s.Ints("dilation"), where, "dilation")).groups(s.Int("groups", 1)).bias(s.Bool("bias", true));
    nn::ConvTranspose2d m(o);
    params = m.ptr();
    module = nn::AnyModule(m);
  } else if (kind == "maxPool2d") {
    nn::MaxPool2dOptions o(Expand<2>(s.Ints("kernel"), where, "kernel"));
    o.stride(Expand<2>(s.Ints("stride"), where, "stride")).padding(Expand<2>(s.Ints("padding"), where, "padding"))
        .dilation(Expand<2>(s.Ints("dilation"), where, "dilation")).ceil_mode(s.Bool("ceilMode", false));
    module = nn::AnyModule(nn::MaxPool2d(o));
  } else if (kind == "avgPool2d") {
    nn::AvgPool2dOptions o(Expand<2>(s.Ints("kernel"), where, "kernel"));
    o.stride(Expand<2>(s.Ints("stride"), where, "stride")).padding(Expand<2>(s.Ints("padding"), where, "padding"))
        .ceil_mode(s.Bool("ceilMode", false)).count_include_pad(s.Bool("countIncludePad", true));
    module = nn::AnyModule(nn::AvgPool2d(o));
  } else if (kind == "adaptiveAvgPool2d" || kind == "adaptiveMaxPool2d") {
    auto size = Expand<2>(s.Ints("size"), where, "size");
    torch::ExpandingArrayWithOptionalElem<2> out(std::vector<c10::optional<int64_t>>{(*size)[0], (*size)[1]});
    module = kind == "adaptiveAvgPool2d" ? nn::AnyModule(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions(out)))
                                         : nn::AnyModule(nn::AdaptiveMaxPool2d(nn::AdaptiveMaxPool2dOptions(out)));
  } else if (kind == "batchNorm1d" || kind == "batchNorm2d") {
    int64_t features = s.Int("numFeatures");
    double eps = s.Number("eps", 1e-5);
    double momentum = s.Number("momentum", 0.1);
    bool affine = s.Bool("affine", true);
    if (kind == "batchNorm1d") {
      nn::BatchNorm1d m(nn::BatchNorm1dOptions(features).eps(eps).momentum(momentum).affine(affine));
      params = m.ptr();
      module = nn::AnyModule(m);
    } else {
      nn::BatchNorm2d m(nn::BatchNorm2dOptions(features).eps(eps).momentum(momentum).affine(affine));
      params = m.ptr();
      module = nn::AnyModule(m);
    }
  } else if (kind == "layerNorm") {
    nn::LayerNorm m(nn::LayerNormOptions(s.Ints("normalizedShape")).eps(s.Number("eps", 1e-5)).elementwise_affine(s.Bool("affine", true)));
    params = m.ptr();
    module = nn::AnyModule(m);
  } else if (kind == "embedding") {
    nn::Embedding m(nn::EmbeddingOptions(s.Int("numEmbeddings"), s.Int("embeddingDim")));
    params = m.ptr();
    module = nn::AnyModule(m);
  } else if (kind == "dropout") {
    module = nn::AnyModule(nn::Dropout(nn::DropoutOptions(s.Number("p"))));
  } else if (kind == "dropout2d") {
    module = nn::AnyModule(nn::Dropout2d(nn::Dropout2dOptions(s.Number("p"))));
  } else if (kind == "flatten") {
    module = nn::AnyModule(nn::Flatten(nn::FlattenOptions().start_dim(s.Int("startDim", 1)).end_dim(s.Int("endDim", -1))));
  } else if (kind == "reshape") {
    std::vector<int64_t> shape = s.Ints("shape");  // without the batch dim
    module = Functional([shape](at::Tensor x) {
      std::vector<int64_t> full{x.size(0)};
      full.insert(full.end(), shape.begin(), shape.end());
      return x.reshape(full);
    });
  } else if (kind == "permute") {
    std::vector<int64_t> dims = s.Ints("dims");  // including the batch dim (0)
    module = Functional([dims](at::Tensor x) { return x.permute(dims); });
  } else if (kind == "upsample") {
    std::vector<double> scale = s.Numbers("scaleFactor");
    std::string mode = s.String("mode");
    nn::UpsampleOptions o;
    o.scale_factor(scale);
    if (mode == "nearest") {
      o.mode(torch::kNearest);
    } else if (mode == "bilinear") {
      o.mode(torch::kBilinear).align_corners(s.Bool("alignCorners", false));
    } else {
      throw std::invalid_argument(where + ": upsample mode must be 'nearest' or 'bilinear', got '" + mode + "'");
    }
    module = nn::AnyModule(nn::Upsample(o));
  } else if (kind == "zeroPad2d") {
    module = nn::AnyModule(nn::ZeroPad2d(nn::ZeroPad2dOptions(Expand<4>(s.Ints("padding"), where, "padding"))));
  } else if (kind == "zeroPad1d") {
    std::vector<int64_t> pad = s.Ints("padding");
    if (pad.size() != 2) throw std::invalid_argument(where + ": 'padding' needs 2 values");
    module = Functional([pad](at::Tensor x) { return at::constant_pad_nd(x, pad, 0); });
  } else if (kind == "shortcutPad2d") {
    int64_t stride = s.Int("stride");
    std::vector<int64_t> pad{0, 0, 0, 0, s.Int("padBefore"), s.Int("padAfter")};
    module = Functional([stride, pad](at::Tensor x) {
      at::Tensor sub = stride == 1 ? x : x.slice(2, 0, c10::nullopt, stride).slice(3, 0, c10::nullopt, stride);
      return at::constant_pad_nd(sub, pad, 0);
    });
  } else if (kind == "relu") {
    module = nn::AnyModule(nn::ReLU());
  } else if (kind == "leakyRelu") {
    module = nn::AnyModule(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(s.Number("negativeSlope", 0.01))));
  } else if (kind == "elu") {
    module = nn::AnyModule(nn::ELU(nn::ELUOptions().alpha(s.Number("alpha", 1.0))));
  } else if (kind == "gelu") {
    module = nn::AnyModule(nn::GELU(nn::GELUOptions().approximate(s.Has("approximate") ? s.String("approximate") : "none")));
  } else if (kind == "sigmoid") {
    module = nn::AnyModule(nn::Sigmoid());
  } else if (kind == "tanh") {
    module = nn::AnyModule(nn::Tanh());
  } else if (kind == "softmax") {
    module = nn::AnyModule(nn::Softmax(nn::SoftmaxOptions(s.Int("dim", 1))));
  } else if (kind == "logSoftmax") {
    module = nn::AnyModule(nn::LogSoftmax(nn::LogSoftmaxOptions(s.Int("dim", 1))));
  } else {
    throw std::invalid_argument(where + ": unknown layer kind '" + kind + "'");
  }

  if (params) {
    for (const char* which : {"weight", "bias"}) {
      std::string initKey = std::string(which) + "Initializer";
      if (s.Has(initKey.c_str()) && params->named_parameters(false).contains(which)) {
        Initialize(params->named_parameters(false)[which], SpecReader(s.Object(initKey.c_str()), s.op(), where), where);
      }
    }
    if (s.Has("regularizer") && params->named_parameters(false).contains("weight")) {
      SpecReader r(s.Object("regularizer"), s.op(), where);
      graph.regularized.push_back({params->named_parameters(false)["weight"], r.Number("l1", 0.0), r.Number("l2", 0.0)});
    }
  }
  return module;
}

at::Tensor Merge(const GraphNode& node, const std::vector<at::Tensor>& in) {
  const std::string& op = node.merge;
  if (op == "concatenate") return at::cat(in, node.axis);
  if (op == "subtract") return in[0] - in[1];
  at::Tensor out = in[0];
  for (size_t i = 1; i < in.size(); ++i) {
    if (op == "add" || op == "average") {
      out = out + in[i];
    } else if (op == "multiply") {
      out = out * in[i];
    } else if (op == "maximum") {
      out = at::maximum(out, in[i]);
    } else {
      out = at::minimum(out, in[i]);
    }
  }
  return op == "average" ? out / static_cast<double>(in.size()) : out;
}

const char* const kMerges[] = {"add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate"};

std::vector<int> IntList(Napi::Value v, const std::string& where, const char* field) {
  if (!v.IsArray()) throw std::invalid_argument(where + ": '" + field + "' must be an array of integers");
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<int> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value el = arr.Get(i);
    if (!el.IsNumber()) throw std::invalid_argument(where + ": '" + field + "' must be an array of integers");
    out.push_back(el.As<Napi::Number>().Int32Value());
  }
  return out;
}

// Runs `fn`, turning libtorch and std errors into JS errors naming `op` (and `where` for libtorch's).
template <typename Fn>
void Guarded(Napi::Env env, const char* op, const std::string& where, Fn fn) {
  try {
    fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw PlainErr(env, op, where + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw RangeErr(env, op, e.what());
  }
}

}  // namespace

ModuleGraph BuildModuleGraph(Napi::Object desc, const char* op) {
  Napi::Env env = desc.Env();
  ModuleGraph graph;
  SpecReader top(desc, op, "graph");
  Napi::Value modules = top.Raw("modules");
  Napi::Value nodes = top.Raw("nodes");
  if (!modules.IsArray() || !nodes.IsArray()) throw TypeErr(env, op, "graph: 'modules' and 'nodes' must be arrays");
  Napi::Array mods = modules.As<Napi::Array>();
  for (uint32_t i = 0; i < mods.Length(); ++i) {
    Napi::Value v = mods.Get(i);
    if (!v.IsObject()) throw TypeErr(env, op, "module " + std::to_string(i) + " must be { name, spec }");
    SpecReader entry(v.As<Napi::Object>(), op, "module " + std::to_string(i));
    std::string name = entry.String("name");
    std::string where = "layer '" + name + "'";
    Napi::Object spec = entry.Object("spec");
    SpecReader reader(spec, op, where);
    if (reader.Has("kind")) where += " (" + reader.String("kind") + ")";
    Guarded(env, op, where, [&] {
      SpecReader s(spec, op, where);
      nn::AnyModule module = BuildModule(s, where, graph);
      graph.AddModule(name, std::move(module), s.String("kind"));
    });
  }
  Napi::Array list = nodes.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value v = list.Get(i);
    if (!v.IsObject()) throw TypeErr(env, op, "node " + std::to_string(i) + " must be an object");
    SpecReader s(v.As<Napi::Object>(), op, "node " + std::to_string(i));
    GraphNode node;
    Guarded(env, op, "node " + std::to_string(i), [&] {
      node.inputs = IntList(s.Raw("inputs"), "node " + std::to_string(i), "inputs");
      if (s.Has("module")) {
        node.module = static_cast<int>(s.Int("module"));
        if (node.module < 0 || node.module >= static_cast<int>(graph.modules.size())) {
          throw std::invalid_argument("node " + std::to_string(i) + ": no module " + std::to_string(node.module));
        }
        node.where = "layer '" + graph.ModuleName(node.module) + "' (" + graph.kinds[node.module] + ")";
        if (node.inputs.size() != 1) throw std::invalid_argument(node.where + " takes one input");
      } else {
        node.merge = s.String("merge");
        node.axis = s.Int("axis", 1);
        node.where = s.Has("name") ? "layer '" + s.String("name") + "' (" + node.merge + ")" : node.merge;
        if (std::find(std::begin(kMerges), std::end(kMerges), node.merge) == std::end(kMerges)) {
          throw std::invalid_argument(node.where + ": unknown merge");
        }
        if (node.merge == "subtract" ? node.inputs.size() != 2 : node.inputs.size() < 2) {
          throw std::invalid_argument(node.where + (node.merge == "subtract" ? " takes exactly two inputs" : " takes two or more inputs"));
        }
      }
    });
    graph.nodes.push_back(std::move(node));
  }
  graph.numInputs = static_cast<int>(top.Int("numInputs", 1));
  Guarded(env, op, "graph", [&] {
    graph.outputs = IntList(top.Raw("outputs"), "graph", "outputs");
    graph.Finalize();
  });
  return graph;
}

void ModuleGraph::AddModule(const std::string& name, nn::AnyModule m, const std::string& kind) {
  if (name.empty() || name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos) {
    throw std::invalid_argument("invalid module name '" + name + "'");
  }
  std::shared_ptr<nn::Module> parent = root_;
  std::string prefix;
  size_t begin = 0;
  for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', begin)) {
    std::string part = name.substr(begin, dot - begin);
    prefix += (prefix.empty() ? "" : ".") + part;
    auto found = containers_.find(prefix);
    if (found == containers_.end()) {
      if (parent->named_children().contains(part)) throw std::invalid_argument("module name '" + name + "' nests under the layer '" + prefix + "'");
      auto container = std::make_shared<nn::Module>("Container");
      parent->register_module(part, container);
      found = containers_.emplace(prefix, container).first;
    }
    parent = found->second;
    begin = dot + 1;
  }
  std::string leaf = name.substr(begin);
  if (parent->named_children().contains(leaf)) throw std::invalid_argument("two layers are named '" + name + "'");
  parent->register_module(leaf, m.ptr());
  modules.push_back(std::move(m));
  kinds.push_back(kind);
  names_.push_back(name);
}

void ModuleGraph::Finalize() {
  const int numValues = numInputs + static_cast<int>(nodes.size());
  std::vector<int> lastUse(numValues, -1);
  for (size_t k = 0; k < nodes.size(); ++k) {
    for (int v : nodes[k].inputs) {
      if (v < 0 || v >= numInputs + static_cast<int>(k)) {
        throw std::invalid_argument(nodes[k].where + ": input " + std::to_string(v) + " is not computed before it");
      }
      lastUse[v] = static_cast<int>(k);
    }
  }
  if (outputs.empty()) throw std::invalid_argument("the graph has no outputs");
  for (int v : outputs) {
    if (v < 0 || v >= numValues) throw std::invalid_argument("output value " + std::to_string(v) + " does not exist");
    lastUse[v] = static_cast<int>(nodes.size());
  }
  releaseAfter_.assign(nodes.size(), {});
  for (int v = 0; v < numValues; ++v) {
    if (lastUse[v] >= 0 && lastUse[v] < static_cast<int>(nodes.size())) releaseAfter_[lastUse[v]].push_back(v);
  }
  Fuse({});
}

void ModuleGraph::Fuse(const std::vector<bool>& fuse) {
  fused_.assign(outputs.size(), -1);
  for (size_t k = 0; k < outputs.size() && k < fuse.size(); ++k) {
    int node = outputs[k] - numInputs;
    if (fuse[k] && node >= 0 && nodes[node].module >= 0) fused_[k] = node;
  }
  // The logits forward skips a fused activation unless another node uses its output, and keeps
  // the activation's input (the logits it returns) alive to the end.
  std::vector<bool> used(nodes.size(), false);
  for (const auto& n : nodes) {
    for (int v : n.inputs) {
      if (v >= numInputs) used[v - numInputs] = true;
    }
  }
  std::vector<bool> returned(numInputs + nodes.size(), false);
  logitsSkip_.assign(nodes.size(), false);
  for (int node : fused_) {
    if (node < 0) continue;
    logitsSkip_[node] = !used[node];
    returned[nodes[node].inputs[0]] = true;
  }
  logitsReleaseAfter_ = releaseAfter_;
  for (auto& values : logitsReleaseAfter_) {
    values.erase(std::remove_if(values.begin(), values.end(), [&](int v) { return returned[v]; }), values.end());
  }
}

namespace {

// Rethrows a libtorch error of the node at `where` with that place in its message, keeping the
// class errors.cc maps to a JS class: TypeError → std::invalid_argument (TypeError),
// IndexError/ValueError → std::out_of_range (RangeError); an allocator failure (out of memory) as is.
[[noreturn]] void RethrowAt(const std::string& where, const c10::Error& e) {
  const std::string message = where + ": " + e.what_without_backtrace();
  if (dynamic_cast<const c10::TypeError*>(&e) != nullptr) throw std::invalid_argument(message);
  if (dynamic_cast<const c10::IndexError*>(&e) != nullptr || dynamic_cast<const c10::ValueError*>(&e) != nullptr) throw std::out_of_range(message);
  if (std::string(e.what_without_backtrace()).find("DefaultCPUAllocator") != std::string::npos) throw e;
  throw std::runtime_error(message);
}

}  // namespace

std::vector<at::Tensor> ModuleGraph::Execute(const std::vector<at::Tensor>& inputs, bool logits) {
  TORCH_CHECK(static_cast<int>(inputs.size()) == numInputs, "the model takes ", numInputs, " input(s), got ", inputs.size());
  const std::vector<std::vector<int>>& releaseAfter = logits ? logitsReleaseAfter_ : releaseAfter_;
  std::vector<at::Tensor> values(numInputs + nodes.size());
  std::copy(inputs.begin(), inputs.end(), values.begin());
  for (size_t k = 0; k < nodes.size(); ++k) {
    const GraphNode& n = nodes[k];
    if (!(logits && logitsSkip_[k])) {
      try {
        if (n.module >= 0) {
          values[numInputs + k] = modules[n.module].forward(values[n.inputs[0]]);
        } else {
          std::vector<at::Tensor> in;
          in.reserve(n.inputs.size());
          for (int v : n.inputs) in.push_back(values[v]);
          values[numInputs + k] = Merge(n, in);
        }
      } catch (const c10::OutOfMemoryError&) {
        throw;
      } catch (const c10::Error& e) {
        RethrowAt(n.where, e);
      } catch (const std::runtime_error& e) {
        // libtorch 1.13 reports some shape errors (reshape, view: "shape '[…]' is invalid for
        // input of size …") as a plain std::runtime_error.
        throw std::runtime_error(n.where + ": " + e.what());
      }
    }
    for (int v : releaseAfter[k]) values[v].reset();
  }
  std::vector<at::Tensor> out;
  out.reserve(outputs.size());
  for (size_t k = 0; k < outputs.size(); ++k) {
    int node = logits ? fused_[k] : -1;
    out.push_back(node >= 0 ? values[nodes[node].inputs[0]] : values[outputs[k]]);
  }
  return out;
}

at::Tensor ModuleGraph::ApplyTail(size_t k, const at::Tensor& logits) {
  int node = fused_[k];
  return node < 0 ? logits : modules[nodes[node].module].forward(logits);
}

at::Tensor ModuleGraph::Forward(const at::Tensor& x) {
  TORCH_CHECK(numInputs == 1 && outputs.size() == 1, "this model has ", numInputs, " inputs and ", outputs.size(),
              " outputs; pass a list of inputs");
  return Run({x})[0];
}

at::Tensor ModuleGraph::Penalty() const {
  at::Tensor total;
  for (const auto& r : regularized) {
    at::Tensor term;
    if (r.l1 != 0) term = r.weight.abs().sum().mul(r.l1);
    if (r.l2 != 0) {
      at::Tensor l2 = r.weight.pow(2).sum().mul(r.l2);
      term = term.defined() ? term.add(l2) : l2;
    }
    if (term.defined()) total = total.defined() ? total.add(term) : term;
  }
  return total;
}

}  // namespace nt
