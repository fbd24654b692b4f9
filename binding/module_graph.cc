// module_graph.cc — builds libtorch nn modules from resolved layer specs, applies weight
// initializers and records regularizers; forwards through the whole or part of the graph.
#include "module_graph.h"

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
  } else if (name == "heUniform") {
    nn::init::kaiming_uniform_(p, 0, torch::kFanIn, torch::kReLU);
  } else if (name == "heNormal") {
    nn::init::kaiming_normal_(p, 0, torch::kFanIn, torch::kReLU);
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
  graph.kinds.push_back(kind);
  return module;
}

}  // namespace

ModuleGraph BuildModuleGraph(Napi::Array specs, const char* op) {
  ModuleGraph graph;
  for (uint32_t i = 0; i < specs.Length(); ++i) {
    Napi::Value v = specs.Get(i);
    std::string where = "layer " + std::to_string(i);
    if (!v.IsObject()) throw TypeErr(specs.Env(), op, where + " must be an object");
    SpecReader reader(v.As<Napi::Object>(), op, where);
    if (reader.Has("kind")) where += " (" + reader.String("kind") + ")";
    nn::AnyModule module;
    try {
      module = BuildModule(SpecReader(v.As<Napi::Object>(), op, where), where, graph);
    } catch (const Napi::Error&) {
      throw;
    } catch (const c10::Error& e) {
      throw PlainErr(specs.Env(), op, where + ": " + e.what_without_backtrace());
    } catch (const std::exception& e) {
      throw RangeErr(specs.Env(), op, e.what());
    }
    graph.net->push_back(std::to_string(i), std::move(module));
  }
  return graph;
}

at::Tensor ModuleGraph::Forward(const at::Tensor& x, int64_t start, int64_t end) {
  int64_t stop = end < 0 ? static_cast<int64_t>(net->size()) : end;
  at::Tensor out = x;
  auto it = net->begin() + start;
  for (int64_t i = start; i < stop; ++i, ++it) out = it->forward(out);
  return out;
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
