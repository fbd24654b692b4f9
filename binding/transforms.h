// transforms.h — batch transforms of the data pipeline, applied natively to [B, C, H, W] batches
// on the prefetch thread: toFloat (scale), normalize, randomCrop (with zero padding),
// randomHorizontalFlip, resize (bilinear), centerCrop, randomAffine (rotation, translation,
// scale). Random ones draw from the dataset's own generator, so a seed reproduces them.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace nt {

struct Transform {
  std::string kind;
  double scale = 1.0;                 // toFloat
  std::vector<double> mean, std;      // normalize (one per channel, or one for all)
  std::vector<int64_t> size;          // randomCrop, resize, centerCrop: [h, w]
  int64_t padding = 0;                // randomCrop
  double p = 0.5;                     // randomHorizontalFlip
  double degrees = 0;                 // randomAffine: rotation in [-degrees, degrees]
  std::vector<double> translate{0, 0};  // randomAffine: max shift as a fraction of [w, h]
  std::vector<double> scaleRange{1, 1};  // randomAffine: zoom in [lo, hi]
};

std::vector<Transform> ReadTransforms(Napi::Array specs, const char* op);

// Applies the transforms in order; `gen` drives the random ones.
at::Tensor ApplyTransforms(const std::vector<Transform>& transforms, at::Tensor batch, at::Generator& gen);

}  // namespace nt
