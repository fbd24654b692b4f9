// ops_cpp.cc — the plain C++ libtorch side of bench/ops.js: the same ops in a tight C++ loop,
// the floor any binding can reach. bench/ops.js compiles it on first run (g++ against the
// system libtorch) and talks to it over stdin/stdout, one request per line:
//   tensor <name> <grad 0|1> <d0> <d1> ...   creates a randn tensor               -> "ok"
//   index <name> <v0> <v1> ...               creates an int64 tensor of the values -> "ok"
//   time <op> <iters>                        one timing round of <op>              -> ns per op
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/optim/adam.h>

#include <time.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::map<std::string, at::Tensor> tensors;
std::unique_ptr<torch::optim::Adam> adam;  // over "po", made on first use (as bench/ops.js's setup)

// The ops, as the C++ API spells them; each call's results are freed at the end of the statement.
std::function<void()> OpBody(const std::string& op) {
  auto t = [](const char* name) { return tensors.at(name); };
  const at::Tensor a = t("a"), b = t("b");
  if (op == "add") return [=] { a.add(b); };
  if (op == "mul") return [=] { a.mul(b); };
  if (op == "addScalar") return [=] { a.add(1); };
  if (op == "relu") return [=] { a.relu(); };
  if (op == "sigmoid") return [=] { a.sigmoid(); };
  if (op == "sum") return [=] { a.sum(); };
  if (op == "meanDim") return [=] { a.mean(1); };
  if (op == "softmax") return [=] { a.softmax(1); };
  if (op == "view") return [=] { a.view({4, 16}); };
  if (op == "transpose") return [=] { a.transpose(0, 1); };
  if (op == "select") return [=] { a.select(0, 3); };
  if (op == "indexSelect") return [=, idx = t("idx")] { a.index_select(0, idx); };
  if (op == "matmul") return [=] { a.matmul(b); };
  if (op == "linear") return [lx = t("lx"), lw = t("lw"), lb = t("lb")] { at::linear(lx, lw, lb); };
  if (op == "conv2d") return [x = t("x"), w = t("w"), bias = t("bias")] { at::conv2d(x, w, bias, 1, 1); };
  if (op == "maxPool2d") return [y = t("y")] { at::max_pool2d(y, {2, 2}); };
  if (op == "backward") return [pa = t("pa"), pw = t("pw")] { pa.matmul(pw).relu().sum().backward(); };
  if (op == "adamStep") {
    if (!adam) {
      at::Tensor po = t("po");
      po.mutable_grad() = at::randn({8, 8});
      adam = std::make_unique<torch::optim::Adam>(std::vector<at::Tensor>{po}, torch::optim::AdamOptions(1e-3));
    }
    return [] { adam->step(); };
  }
  throw std::runtime_error("unknown op " + op);
}

bool cpuClock = true;

double NowNs() {
  if (!cpuClock) return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now().time_since_epoch()).count();
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double TimeRound(const std::function<void()>& body, int64_t iters) {
  double start = NowNs();
  for (int64_t i = 0; i < iters; ++i) body();
  return (NowNs() - start) / static_cast<double>(iters);
}

}  // namespace

int main(int argc, char** argv) {
  cpuClock = !(argc > 1 && std::strcmp(argv[1], "wall") == 0);
  at::set_num_threads(1);
  at::manual_seed(0);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd, name;
    in >> cmd >> name;
    if (cmd == "tensor") {
      int grad = 0;
      in >> grad;
      std::vector<int64_t> shape;
      for (int64_t d; in >> d;) shape.push_back(d);
      tensors[name] = at::randn(shape).requires_grad_(grad != 0);
      std::cout << "ok" << std::endl;
    } else if (cmd == "index") {
      std::vector<int64_t> values;
      for (int64_t v; in >> v;) values.push_back(v);
      tensors[name] = at::tensor(values, at::kLong);
      std::cout << "ok" << std::endl;
    } else {
      int64_t iters = 0;
      in >> iters;
      std::cout << TimeRound(OpBody(name), iters) << std::endl;
    }
  }
  return 0;
}
