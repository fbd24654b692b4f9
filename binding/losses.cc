// losses.cc — computes the Keras-named losses with libtorch ops: logits forms use the fused,
// numerically stable kernels; probability forms clip like Keras (epsilon 1e-7).
#include "losses.h"

#include "spec_reader.h"

namespace nt {
namespace {

constexpr double kEpsilon = 1e-7;

// Mean of per-sample losses, each weighted by classWeight[class of the sample] when given.
// `classes` holds one class index per sample (only read when classWeight is defined).
at::Tensor Reduce(const at::Tensor& perSample, const at::Tensor& classes, const at::Tensor& classWeight) {
  if (!classWeight.defined()) return perSample.mean();
  TORCH_CHECK(classes.defined() && classes.numel() == perSample.numel(),
              "classWeight needs one class per sample (sparse, categorical or single-output binary targets)");
  at::Tensor w = classWeight.to(perSample.device(), perSample.scalar_type()).index_select(0, classes.reshape(-1).to(at::kLong));
  return (perSample * w.reshape(perSample.sizes())).mean();
}

// Per-sample mean over every dim but the first.
at::Tensor PerSample(const at::Tensor& elementwise) {
  return elementwise.dim() <= 1 ? elementwise : elementwise.flatten(1).mean(1);
}

}  // namespace

LossSpec ReadLossSpec(Napi::Object obj, const char* op) {
  SpecReader s(obj, op, "loss");
  LossSpec spec;
  spec.kind = s.String("kind");
  spec.fromLogits = s.Bool("fromLogits", false);
  spec.labelSmoothing = s.Number("labelSmoothing", 0.0);
  spec.delta = s.Number("delta", 1.0);
  static const char* kKinds[] = {"sparseCategoricalCrossentropy", "categoricalCrossentropy", "binaryCrossentropy",
                                 "meanSquaredError", "meanAbsoluteError", "huber", "kld"};
  bool known = false;
  for (const char* k : kKinds) known = known || spec.kind == k;
  if (!known) throw RangeErr(obj.Env(), op, "unknown loss '" + spec.kind + "'");
  return spec;
}

at::Tensor ComputeLoss(const LossSpec& spec, const at::Tensor& pred, const at::Tensor& target, const at::Tensor& classWeight) {
  const double ls = spec.labelSmoothing;
  const auto none = at::Reduction::None;
  if (spec.kind == "sparseCategoricalCrossentropy") {
    TORCH_CHECK(pred.dim() >= 2, "sparseCategoricalCrossentropy expects predictions [N, C, ...], got ", pred.sizes());
    at::Tensor labels = target.to(at::kLong);
    if (labels.dim() == pred.dim() && labels.size(1) == 1) labels = labels.squeeze(1);
    at::Tensor logp = spec.fromLogits ? pred.log_softmax(1) : pred.clamp(kEpsilon, 1 - kEpsilon).log();
    at::Tensor nll = at::nll_loss_nd(logp, labels, {}, none);
    if (ls > 0) nll = nll.mul(1 - ls).add(logp.mean(1).neg().mul(ls));
    return Reduce(PerSample(nll), labels, classWeight);
  }
  if (spec.kind == "categoricalCrossentropy") {
    TORCH_CHECK(pred.sizes() == target.sizes(), "categoricalCrossentropy expects one-hot targets shaped like predictions ",
                pred.sizes(), ", got ", target.sizes());
    at::Tensor y = target.to(pred.scalar_type());
    if (ls > 0) y = y.mul(1 - ls).add(ls / static_cast<double>(pred.size(1)));
    at::Tensor logp = spec.fromLogits ? pred.log_softmax(1) : (pred / pred.sum(1, true)).clamp(kEpsilon, 1 - kEpsilon).log();
    return Reduce(PerSample(y.mul(logp).sum(1).neg()), classWeight.defined() ? target.argmax(1) : at::Tensor(), classWeight);
  }
  if (spec.kind == "binaryCrossentropy") {
    TORCH_CHECK(pred.numel() == target.numel(), "binaryCrossentropy expects targets with as many elements as predictions (",
                pred.numel(), "), got ", target.numel());
    at::Tensor y = target.to(pred.scalar_type()).reshape(pred.sizes());
    if (ls > 0) y = y.mul(1 - ls).add(0.5 * ls);
    at::Tensor elementwise = spec.fromLogits
                                 ? at::binary_cross_entropy_with_logits(pred, y, {}, {}, none)
                                 : at::binary_cross_entropy(pred.clamp(kEpsilon, 1 - kEpsilon), y, {}, none);
    return Reduce(PerSample(elementwise), classWeight.defined() ? target.reshape(pred.sizes()).round() : at::Tensor(), classWeight);
  }
  TORCH_CHECK(!classWeight.defined(), spec.kind, " does not take classWeight (classes only exist for classification losses)");
  TORCH_CHECK(pred.numel() == target.numel(), spec.kind, " expects targets with as many elements as predictions (", pred.numel(),
              "), got ", target.numel());
  at::Tensor y = target.to(pred.scalar_type()).reshape(pred.sizes());
  at::Tensor elementwise;
  if (spec.kind == "meanSquaredError") {
    elementwise = at::mse_loss(pred, y, none);
  } else if (spec.kind == "meanAbsoluteError") {
    elementwise = at::l1_loss(pred, y, none);
  } else if (spec.kind == "huber") {
    elementwise = at::huber_loss(pred, y, none, spec.delta);
  } else {  // kld
    at::Tensor yc = y.clamp(kEpsilon, 1);
    at::Tensor pc = pred.clamp(kEpsilon, 1);
    elementwise = yc.mul(yc.log().sub(pc.log()));
    return elementwise.dim() <= 1 ? elementwise.mean() : elementwise.flatten(1).sum(1).mean();
  }
  return PerSample(elementwise).mean();
}

}  // namespace nt
