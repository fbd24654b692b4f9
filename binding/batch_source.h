// batch_source.h — where native training loops (fit, the GAN trainer) get their batches from:
// in-memory tensors or a dataset pipeline (lib/data, binding/dataset_*). Next() is called on the
// training thread; an implementation may prepare batches ahead on its own thread.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace nt {

struct Batch {
  std::vector<at::Tensor> x;  // one tensor per model input, batch-first
  std::vector<at::Tensor> y;  // one tensor per model output (empty for unlabeled data)
  int64_t size = 0;           // samples in this batch
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Starts epoch `epoch` (reshuffling if the source shuffles) and returns how many batches it will
  // yield, or -1 when unknown.
  virtual int64_t BeginEpoch(int64_t epoch) = 0;
  // The next batch of the current epoch; false at its end. Throws on bad data (naming the file).
  virtual bool Next(Batch& out) = 0;
  // Unblocks a Next() that waits for data (stop requested); later Next() calls return false.
  virtual void Cancel() {}
};

}  // namespace nt
