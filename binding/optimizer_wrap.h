// optimizer_wrap.h — libtorch optimizers built from specs (libtorch option names and defaults),
// gradient clipping, and learning-rate schedules evaluated natively per epoch or per batch.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace nt {

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(Napi::Object spec, const std::vector<at::Tensor>& params, const char* op);

double GetLr(torch::optim::Optimizer& optimizer);
void SetLr(torch::optim::Optimizer& optimizer, double lr);

// The optimizer's state (momenta, Adam moments, step counts) and each parameter group's lr as
// libtorch archive bytes in a 1-d uint8 tensor. libtorch 1.13 writes the group options but does not
// load them back, so the lrs travel under a key of their own.
at::Tensor SaveOptimizerState(const torch::optim::Optimizer& optimizer);
// Loads bytes from SaveOptimizerState into an optimizer of the same kind and parameter shapes.
void LoadOptimizerState(torch::optim::Optimizer& optimizer, const at::Tensor& bytes);

struct GradClip {
  double norm = 0;   // clip the global gradient norm to this (0 = off)
  double value = 0;  // clamp each gradient element to [-value, value] (0 = off)
  void Apply(const std::vector<at::Tensor>& params) const;
};

// A learning-rate schedule: lr as a function of the step (epoch index or global batch index).
struct LrSchedule {
  std::string kind;  // stepLR, multiStepLR, exponentialLR, cosineAnnealing, oneCycle
  bool perBatch = false;
  double gamma = 0.1;
  int64_t stepSize = 1;
  std::vector<int64_t> milestones;
  int64_t tMax = 1;
  double etaMin = 0;
  int64_t warmupSteps = 0;
  double maxLr = 0;
  int64_t totalSteps = 0;
  double pctStart = 0.3;
  double divFactor = 25;
  double finalDivFactor = 1e4;

  double LrAt(double baseLr, int64_t step) const;
};

LrSchedule ReadLrSchedule(Napi::Object spec, const char* op);

}  // namespace nt
