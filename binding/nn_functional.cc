// nn_functional.cc — nt.nn.functional: convolutions, pooling, normalization, dropout, resampling
// and the loss functions, each one native call (libtorch's own kernels and autograd).
#include <ATen/ATen.h>

#include "args.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

using CallbackInfo = Napi::CallbackInfo;

Napi::Value MaybeTuple(Napi::Env env, std::tuple<at::Tensor, at::Tensor> r) {
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Wrap(env, std::move(std::get<0>(r))));
  out.Set(1u, Wrap(env, std::move(std::get<1>(r))));
  return out;
}

// Scale factors argument: null or an array of numbers.
c10::optional<std::vector<double>> ScalesArg(const CallbackInfo& i, size_t k) {
  if (IsNullish(i[k])) return c10::nullopt;
  Napi::Array arr = i[k].As<Napi::Array>();
  std::vector<double> out(arr.Length());
  for (uint32_t j = 0; j < arr.Length(); ++j) out[j] = arr.Get(j).As<Napi::Number>().DoubleValue();
  return out;
}

// interpolate(x, size | null, scaleFactors | null, mode, alignCorners)
Napi::Value Interpolate(const CallbackInfo& i) {
  const at::Tensor& x = TensorArg(i, 0);
  auto size = OptIntListArg(i, 1);
  auto scales = ScalesArg(i, 2);
  std::string mode = StringArg(i, 3);
  bool alignCorners = BoolArg(i, 4);
  at::OptionalIntArrayRef sizeRef = size ? at::OptionalIntArrayRef(*size) : c10::nullopt;
  c10::optional<at::ArrayRef<double>> scaleRef = scales ? c10::optional<at::ArrayRef<double>>(*scales) : c10::nullopt;
  int64_t spatial = x.dim() - 2;
  if (mode == "nearest" && spatial == 1) return Wrap(i.Env(), at::upsample_nearest1d(x, sizeRef, scaleRef));
  if (mode == "nearest" && spatial == 2) return Wrap(i.Env(), at::upsample_nearest2d(x, sizeRef, scaleRef));
  if (mode == "nearest" && spatial == 3) return Wrap(i.Env(), at::upsample_nearest3d(x, sizeRef, scaleRef));
  if (mode == "linear" && spatial == 1) return Wrap(i.Env(), at::upsample_linear1d(x, sizeRef, alignCorners, scaleRef));
  if (mode == "bilinear" && spatial == 2) return Wrap(i.Env(), at::upsample_bilinear2d(x, sizeRef, alignCorners, scaleRef));
  if (mode == "bicubic" && spatial == 2) return Wrap(i.Env(), at::upsample_bicubic2d(x, sizeRef, alignCorners, scaleRef));
  throw RangeErr(i.Env(), "interpolate",
                 "mode '" + mode + "' does not support " + std::to_string(x.dim()) + "D input of shape " +
                     c10::str(x.sizes()) + " (nearest: 3D/4D/5D, linear: 3D, bilinear/bicubic: 4D)");
}

const OpSpec kFunctionalOps[] = {
    // Sizes (stride, padding, ...) are a number for every dim or a list per dim (SizesArg).
    // conv1d/conv2d(x, weight, bias | null, stride, padding | 'same' | 'valid', dilation, groups)
    {"conv1d",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& x = TensorArg(i, 0);
       if (i[4].IsString()) {
         return Wrap(i.Env(), at::conv1d(x, TensorArg(i, 1), OptTensorArg(i, 2), SizesArg(i, 3), StringArg(i, 4),
                                         SizesArg(i, 5), IntArg(i, 6)));
       }
       return Wrap(i.Env(), at::conv1d(x, TensorArg(i, 1), OptTensorArg(i, 2), SizesArg(i, 3), SizesArg(i, 4),
                                       SizesArg(i, 5), IntArg(i, 6)));
     }},
    {"conv2d",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& x = TensorArg(i, 0);
       if (i[4].IsString()) {
         return Wrap(i.Env(), at::conv2d(x, TensorArg(i, 1), OptTensorArg(i, 2), SizesArg(i, 3), StringArg(i, 4),
                                         SizesArg(i, 5), IntArg(i, 6)));
       }
       return Wrap(i.Env(), at::conv2d(x, TensorArg(i, 1), OptTensorArg(i, 2), SizesArg(i, 3), SizesArg(i, 4),
                                       SizesArg(i, 5), IntArg(i, 6)));
     }},
    // convTranspose2d(x, weight, bias | null, stride, padding, outputPadding, groups, dilation)
    {"convTranspose2d",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(), at::conv_transpose2d(TensorArg(i, 0), TensorArg(i, 1), OptTensorArg(i, 2), SizesArg(i, 3),
                                                 SizesArg(i, 4), SizesArg(i, 5), IntArg(i, 6), SizesArg(i, 7)));
     }},
    // maxPool2d(x, kernel, stride, padding, dilation, ceilMode, returnIndices)
    {"maxPool2d",
     [](const CallbackInfo& i) -> Napi::Value {
       const at::Tensor& x = TensorArg(i, 0);
       if (BoolArg(i, 6)) {
         return MaybeTuple(i.Env(), at::max_pool2d_with_indices(x, SizesArg(i, 1), SizesArg(i, 2), SizesArg(i, 3),
                                                                SizesArg(i, 4), BoolArg(i, 5)));
       }
       return Wrap(i.Env(),
                   at::max_pool2d(x, SizesArg(i, 1), SizesArg(i, 2), SizesArg(i, 3), SizesArg(i, 4), BoolArg(i, 5)));
     }},
    // avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad, divisorOverride | null)
    {"avgPool2d",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(), at::avg_pool2d(TensorArg(i, 0), SizesArg(i, 1), SizesArg(i, 2), SizesArg(i, 3),
                                           BoolArg(i, 4), BoolArg(i, 5), OptIntArg(i, 6)));
     }},
    {"adaptiveAvgPool2d",
     [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::adaptive_avg_pool2d(TensorArg(i, 0), IntListArg(i, 1))); }},
    {"adaptiveMaxPool2d",
     [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), std::get<0>(at::adaptive_max_pool2d(TensorArg(i, 0), IntListArg(i, 1)))); }},
    // batchNorm(x, runningMean | null, runningVar | null, weight | null, bias | null, training, momentum, eps)
    {"batchNorm",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(), at::batch_norm(TensorArg(i, 0), OptTensorArg(i, 3), OptTensorArg(i, 4), OptTensorArg(i, 1),
                                           OptTensorArg(i, 2), BoolArg(i, 5), NumberArg(i, 6), NumberArg(i, 7),
                                           /*cudnn_enabled=*/true));
     }},
    // layerNorm(x, normalizedShape[], weight | null, bias | null, eps)
    {"layerNorm",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(), at::layer_norm(TensorArg(i, 0), IntListArg(i, 1), OptTensorArg(i, 2), OptTensorArg(i, 3),
                                           NumberArg(i, 4), /*cudnn_enable=*/true));
     }},
    // dropout(x, p, training) and dropout2d (whole channels)
    {"dropout", [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::dropout(TensorArg(i, 0), NumberArg(i, 1), BoolArg(i, 2))); }},
    {"dropout2d",
     [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::feature_dropout(TensorArg(i, 0), NumberArg(i, 1), BoolArg(i, 2))); }},
    {"interpolate", Interpolate},
    // crossEntropy(input, target, weight | null, reduction, ignoreIndex, labelSmoothing)
    {"crossEntropy",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(), at::cross_entropy_loss(TensorArg(i, 0), TensorArg(i, 1), OptTensorArg(i, 2), ReductionArg(i, 3),
                                                   IntArg(i, 4), NumberArg(i, 5)));
     }},
    // nllLoss(input, target, weight | null, reduction, ignoreIndex)
    {"nllLoss",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(),
                   at::nll_loss_nd(TensorArg(i, 0), TensorArg(i, 1), OptTensorArg(i, 2), ReductionArg(i, 3), IntArg(i, 4)));
     }},
    // binaryCrossEntropy(input, target, weight | null, reduction)
    {"binaryCrossEntropy",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(), at::binary_cross_entropy(TensorArg(i, 0), TensorArg(i, 1), OptTensorArg(i, 2), ReductionArg(i, 3)));
     }},
    // binaryCrossEntropyWithLogits(input, target, weight | null, posWeight | null, reduction)
    {"binaryCrossEntropyWithLogits",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(), at::binary_cross_entropy_with_logits(TensorArg(i, 0), TensorArg(i, 1), OptTensorArg(i, 2),
                                                                 OptTensorArg(i, 3), ReductionArg(i, 4)));
     }},
    {"mseLoss",
     [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::mse_loss(TensorArg(i, 0), TensorArg(i, 1), ReductionArg(i, 2))); }},
    {"l1Loss",
     [](const CallbackInfo& i) -> Napi::Value { return Wrap(i.Env(), at::l1_loss(TensorArg(i, 0), TensorArg(i, 1), ReductionArg(i, 2))); }},
    // smoothL1Loss(input, target, reduction, beta)
    {"smoothL1Loss",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(), at::smooth_l1_loss(TensorArg(i, 0), TensorArg(i, 1), ReductionArg(i, 2), NumberArg(i, 3)));
     }},
    // huberLoss(input, target, reduction, delta)
    {"huberLoss",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(), at::huber_loss(TensorArg(i, 0), TensorArg(i, 1), ReductionArg(i, 2), NumberArg(i, 3)));
     }},
    // klDiv(input, target, reduction, logTarget) — 'batchmean' is applied by the JS layer
    {"klDiv",
     [](const CallbackInfo& i) -> Napi::Value {
       return Wrap(i.Env(), at::kl_div(TensorArg(i, 0), TensorArg(i, 1), ReductionArg(i, 2), BoolArg(i, 3)));
     }},
};

}  // namespace

void RegisterNnFunctional(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kFunctionalOps); }

}  // namespace nt
