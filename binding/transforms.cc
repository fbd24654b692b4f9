// transforms.cc — the batch transforms (see transforms.h), each with torchvision's semantics.
#include "transforms.h"

#include <cmath>

#include "spec_reader.h"

namespace nt {
namespace {

std::vector<int64_t> Size2(const SpecReader& s, const char* key, const std::string& where) {
  std::vector<int64_t> v = s.Ints(key);
  if (v.size() == 1) v.push_back(v[0]);
  if (v.size() != 2 || v[0] < 1 || v[1] < 1) throw std::invalid_argument(where + ": '" + key + "' must be a positive size or [h, w]");
  return v;
}

at::Tensor PerChannel(const std::vector<double>& values, const at::Tensor& like) {
  return at::tensor(values, like.options().dtype(at::kDouble)).to(like.scalar_type()).view({1, -1, 1, 1});
}

at::Tensor CenterCrop(const at::Tensor& x, int64_t h, int64_t w) {
  TORCH_CHECK(x.size(2) >= h && x.size(3) >= w, "centerCrop: images [", x.size(2), ", ", x.size(3), "] are smaller than [", h, ", ", w, "]");
  int64_t top = (x.size(2) - h) / 2;
  int64_t left = (x.size(3) - w) / 2;
  return x.narrow(2, top, h).narrow(3, left, w);
}

at::Tensor RandomCrop(const Transform& t, const at::Tensor& x, at::Generator& gen) {
  at::Tensor padded = t.padding > 0 ? at::constant_pad_nd(x, {t.padding, t.padding, t.padding, t.padding}, 0) : x;
  int64_t h = t.size[0], w = t.size[1];
  int64_t maxTop = padded.size(2) - h, maxLeft = padded.size(3) - w;
  TORCH_CHECK(maxTop >= 0 && maxLeft >= 0, "randomCrop: images [", padded.size(2), ", ", padded.size(3), "] (after padding) are smaller than [", h, ", ", w, "]");
  at::Tensor tops = at::randint(maxTop + 1, {x.size(0)}, gen, at::kLong);
  at::Tensor lefts = at::randint(maxLeft + 1, {x.size(0)}, gen, at::kLong);
  auto top = tops.accessor<int64_t, 1>();
  auto left = lefts.accessor<int64_t, 1>();
  std::vector<at::Tensor> crops;
  crops.reserve(x.size(0));
  for (int64_t i = 0; i < x.size(0); ++i) crops.push_back(padded[i].narrow(1, top[i], h).narrow(2, left[i], w));
  return at::stack(crops);
}

at::Tensor RandomAffine(const Transform& t, const at::Tensor& x, at::Generator& gen) {
  TORCH_CHECK(x.is_floating_point(), "randomAffine: needs float images (put toFloat() first)");
  int64_t b = x.size(0);
  auto uniform = [&](double lo, double hi) { return at::rand({b}, gen, at::kDouble) * (hi - lo) + lo; };
  at::Tensor angle = uniform(-t.degrees, t.degrees) * (M_PI / 180.0);
  at::Tensor zoom = uniform(t.scaleRange[0], t.scaleRange[1]);
  at::Tensor tx = uniform(-t.translate[0], t.translate[0]) * 2;  // grid units: the image spans [-1, 1]
  at::Tensor ty = uniform(-t.translate[1], t.translate[1]) * 2;
  // Output pixel p samples the input at A⁻¹(p - shift): rotation by -angle, scaled by 1/zoom.
  at::Tensor cos = at::cos(angle) / zoom, sin = at::sin(angle) / zoom;
  at::Tensor theta = at::stack({at::stack({cos, sin, -(cos * tx + sin * ty)}, 1), at::stack({-sin, cos, sin * tx - cos * ty}, 1)}, 1);
  at::Tensor grid = at::affine_grid_generator(theta.to(x.scalar_type()), x.sizes(), false);
  return at::grid_sampler(x, grid, 0, 0, false);  // bilinear, zero padding
}

}  // namespace

std::vector<Transform> ReadTransforms(Napi::Array specs, const char* op) {
  std::vector<Transform> out;
  for (uint32_t i = 0; i < specs.Length(); ++i) {
    std::string where = "transform " + std::to_string(i);
    SpecReader s(specs.Get(i).As<Napi::Object>(), op, where);
    Transform t;
    t.kind = s.String("kind");
    where += " (" + t.kind + ")";
    if (t.kind == "toFloat") {
      t.scale = s.Number("scale", 1.0);
    } else if (t.kind == "normalize") {
      t.mean = s.Numbers("mean");
      t.std = s.Numbers("std");
      if (t.mean.size() != t.std.size() || t.mean.empty()) throw std::invalid_argument(where + ": mean and std need the same number of values");
      for (double v : t.std) {
        if (!(v > 0)) throw std::invalid_argument(where + ": std values must be positive");
      }
    } else if (t.kind == "randomCrop" || t.kind == "resize" || t.kind == "centerCrop") {
      t.size = Size2(s, "size", where);
      t.padding = s.Int("padding", 0);
      if (t.padding < 0) throw std::invalid_argument(where + ": padding must be >= 0");
    } else if (t.kind == "randomHorizontalFlip") {
      t.p = s.Number("p", 0.5);
      if (!(t.p >= 0 && t.p <= 1)) throw std::invalid_argument(where + ": p must be in [0, 1]");
    } else if (t.kind == "randomAffine") {
      t.degrees = s.Number("degrees", 0.0);
      if (s.Has("translate")) t.translate = s.Numbers("translate");
      if (s.Has("scale")) t.scaleRange = s.Numbers("scale");
      if (t.translate.size() != 2 || t.scaleRange.size() != 2 || !(t.scaleRange[0] > 0) || t.scaleRange[1] < t.scaleRange[0]) {
        throw std::invalid_argument(where + ": translate must be [fx, fy] and scale [lo, hi] with 0 < lo <= hi");
      }
    } else {
      throw std::invalid_argument(where + ": unknown transform");
    }
    out.push_back(std::move(t));
  }
  return out;
}

at::Tensor ApplyTransforms(const std::vector<Transform>& transforms, at::Tensor x, at::Generator& gen) {
  for (const Transform& t : transforms) {
    if (t.kind == "toFloat") {
      x = x.to(at::kFloat);
      if (t.scale != 1.0) x = x * t.scale;
    } else if (t.kind == "normalize") {
      TORCH_CHECK(x.is_floating_point(), "normalize: needs float images (put toFloat() first)");
      TORCH_CHECK(t.mean.size() == 1 || static_cast<int64_t>(t.mean.size()) == x.size(1), "normalize: ", t.mean.size(), " means for ", x.size(1), " channels");
      x = (x - PerChannel(t.mean, x)) / PerChannel(t.std, x);
    } else if (t.kind == "randomCrop") {
      x = RandomCrop(t, x, gen);
    } else if (t.kind == "centerCrop") {
      x = CenterCrop(x, t.size[0], t.size[1]).contiguous();
    } else if (t.kind == "resize") {
      TORCH_CHECK(x.is_floating_point(), "resize: needs float images (put toFloat() first)");
      x = at::upsample_bilinear2d(x, {t.size[0], t.size[1]}, false);
    } else if (t.kind == "randomHorizontalFlip") {
      at::Tensor flip = (at::rand({x.size(0)}, gen, at::kDouble) < t.p).view({-1, 1, 1, 1});
      x = at::where(flip, x.flip({3}), x);
    } else if (t.kind == "randomAffine") {
      x = RandomAffine(t, x, gen);
    }
  }
  return x;
}

}  // namespace nt
