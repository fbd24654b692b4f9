// train_cpp.cc — the plain C++ libtorch side of bench/train.js: the benchmark CNN trained by a
// hand-written torch::nn::Sequential + torch::optim::Adam loop, the floor any binding can reach.
// bench/train.js compiles it on first run (g++ against the system libtorch) and talks to it over
// stdin/stdout, one request per line:
//   setup <batch> <samples>   new model and optimizer, <samples> synthetic samples cut into batches  -> "ok"
//   run <steps>               one timing round of <steps> train steps over the next batches
//                             -> "<wall ns> <cpu ns> <minor page faults> <last loss>"
#include <sys/resource.h>
#include <torch/torch.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace nn = torch::nn;

// conv32-pool-conv64-pool-dense128-dense10 on [1, 28, 28]; the softmax lives in the loss.
nn::Sequential BuildCnn() {
  return nn::Sequential(
      nn::Conv2d(nn::Conv2dOptions(1, 32, 3).padding(torch::kSame)), nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
      nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(torch::kSame)), nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
      nn::Flatten(), nn::Linear(64 * 7 * 7, 128), nn::ReLU(), nn::Linear(128, 10));
}

double CpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

long MinorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

struct Trainer {
  nn::Sequential net = BuildCnn();
  torch::optim::Adam optimizer{net->parameters(), torch::optim::AdamOptions(1e-3)};
  std::vector<torch::Tensor> xs, ys;
  size_t next = 0;

  Trainer(int64_t batch, int64_t samples) {
    torch::Tensor x = torch::randn({samples, 1, 28, 28});
    torch::Tensor y = torch::randint(10, {samples}, torch::kLong);
    for (int64_t start = 0; start + batch <= samples; start += batch) {
      xs.push_back(x.narrow(0, start, batch));
      ys.push_back(y.narrow(0, start, batch));
    }
  }

  double Step() {
    size_t i = next++ % xs.size();
    optimizer.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(xs[i]), ys[i]);
    loss.backward();
    optimizer.step();
    return loss.item<double>();
  }
};

}  // namespace

int main() {
  torch::set_num_threads(1);
  torch::manual_seed(0);
  std::unique_ptr<Trainer> trainer;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    int64_t n = 0;
    in >> cmd >> n;
    if (cmd == "setup") {
      int64_t samples = 0;
      in >> samples;
      trainer = std::make_unique<Trainer>(n, samples);
      std::cout << "ok" << std::endl;
    } else {
      auto wall = std::chrono::steady_clock::now();
      double cpu = CpuNs();
      long faults = MinorFaults();
      double loss = 0;
      for (int64_t i = 0; i < n; ++i) loss = trainer->Step();
      std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - wall;
      std::cout << elapsed.count() << ' ' << CpuNs() - cpu << ' ' << MinorFaults() - faults << ' ' << loss << std::endl;
    }
  }
  return 0;
}
