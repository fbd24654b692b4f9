// tensor_shape.cc — shape and indexing ops: views, joins, splits, gathers/scatters, padding.
#include <ATen/ATen.h>
#include <torch/version.h>

#include "args.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

using CallbackInfo = Napi::CallbackInfo;

Napi::Value WrapList(Napi::Env env, std::vector<at::Tensor> tensors) {
  Napi::Array out = Napi::Array::New(env, tensors.size());
  for (size_t k = 0; k < tensors.size(); ++k) out.Set(static_cast<uint32_t>(k), Wrap(env, std::move(tensors[k])));
  return out;
}

const OpSpec kShapeOps[] = {
    {"reshape", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), TensorArg(i, 0).reshape(IntListArg(i, 1))); }},
    {"view", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), TensorArg(i, 0).view(IntListArg(i, 1))); }},
    {"permute", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), TensorArg(i, 0).permute(IntListArg(i, 1))); }},
    {"transpose",
     [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), TensorArg(i, 0).transpose(IntArg(i, 1), IntArg(i, 2))); }},
    // squeeze(t, dim | null)
    {"squeeze",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& t = TensorArg(i, 0);
       return Wrap(i.Env(), IsNullish(i[1]) ? t.squeeze() : t.squeeze(IntArg(i, 1)));
     }},
    {"unsqueeze", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), TensorArg(i, 0).unsqueeze(IntArg(i, 1))); }},
    {"flatten", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), TensorArg(i, 0).flatten(IntArg(i, 1), IntArg(i, 2))); }},
    {"expand", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), TensorArg(i, 0).expand(IntListArg(i, 1))); }},
    {"repeat", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), TensorArg(i, 0).repeat(IntListArg(i, 1))); }},
    {"cat", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::cat(TensorListArg(i, 0), IntArg(i, 1))); }},
    {"stack", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::stack(TensorListArg(i, 0), IntArg(i, 1))); }},
    // split(t, size | sizes[], dim)
    {"split",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& t = TensorArg(i, 0);
       int64_t dim = IntArg(i, 2);
       if (i[1].IsNumber()) return WrapList(i.Env(), t.split(IntArg(i, 1), dim));
       return WrapList(i.Env(), t.split_with_sizes(IntListArg(i, 1), dim));
     }},
    {"chunk", [](const CallbackInfo& i) -> Napi::Value { return WrapList(i.Env(), TensorArg(i, 0).chunk(IntArg(i, 1), IntArg(i, 2))); }},
    {"unbind", [](const CallbackInfo& i) -> Napi::Value { return WrapList(i.Env(), TensorArg(i, 0).unbind(IntArg(i, 1))); }},
    // narrow(t, dim, start, length)
    {"narrow",
     [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), TensorArg(i, 0).narrow(IntArg(i, 1), IntArg(i, 2), IntArg(i, 3))); }},
    // slice(t, dim, start | null, end | null, step)
    {"slice",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(), TensorArg(i, 0).slice(IntArg(i, 1), OptIntArg(i, 2), OptIntArg(i, 3), IntArg(i, 4)));
     }},
    {"select", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), TensorArg(i, 0).select(IntArg(i, 1), IntArg(i, 2))); }},
    // indexSelect(t, dim, index)
    {"indexSelect",
     [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::index_select(TensorArg(i, 0), IntArg(i, 1), TensorArg(i, 2))); }},
    // gather(t, dim, index)
    {"gather", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::gather(TensorArg(i, 0), IntArg(i, 1), TensorArg(i, 2))); }},
    // scatter(t, dim, index, src tensor | value)
    {"scatter",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& t = TensorArg(i, 0);
       int64_t dim = IntArg(i, 1);
       const at::Tensor& index = TensorArg(i, 2);
       if (const at::Tensor* src = MaybeTensorArg(i, 3)) return Wrap(i.Env(), at::scatter(t, dim, index, *src));
       return Wrap(i.Env(), at::scatter(t, dim, index, ScalarArg(i, 3)));
     }},
    // scatterAdd(t, dim, index, src)
    {"scatterAdd",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(), at::scatter_add(TensorArg(i, 0), IntArg(i, 1), TensorArg(i, 2), TensorArg(i, 3)));
     }},
    // maskedFill(t, mask, value)
    {"maskedFill",
     [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::masked_fill(TensorArg(i, 0), TensorArg(i, 1), ScalarArg(i, 2))); }},
    // maskedSelect(t, mask). libtorch 1.13's backward fills a zero tensor laid out like t with
    // masked_scatter_, which walks a non-contiguous tensor in memory order: a transposed t got its
    // gradient permuted (Python 1.13 too). A contiguous t gets it right; 2.x does either way.
    {"maskedSelect",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& t = TensorArg(i, 0);
#if TORCH_VERSION_MAJOR < 2
       if (t.requires_grad()) return Wrap(i.Env(), at::masked_select(t.contiguous(), TensorArg(i, 1)));
#endif
       return Wrap(i.Env(), at::masked_select(t, TensorArg(i, 1)));
     }},
    // pad(t, pads, mode, value): pads as in torch.nn.functional.pad (last dim first)
    {"pad",
     [](const CallbackInfo& i) -> Napi::Value {
       std::string mode = StringArg(i, 2);
       c10::optional<double> value = OptNumberArg(i, 3);
       return Wrap(i.Env(), at::pad(TensorArg(i, 0), IntListArg(i, 1), mode, value));
     }},
    {"flip", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::flip(TensorArg(i, 0), IntListArg(i, 1))); }},
    {"tril", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::tril(TensorArg(i, 0), IntArg(i, 1))); }},
    {"triu", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::triu(TensorArg(i, 0), IntArg(i, 1))); }},
};

}  // namespace

void RegisterTensorShape(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kShapeOps); }

}  // namespace nt
