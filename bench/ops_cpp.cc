// ops_cpp.cc — the plain C++ libtorch side of bench/ops.js: the same ops in a tight C++ loop,
// the floor any binding can reach. bench/ops.js compiles it on first run (g++ against the
// system libtorch) and talks to it over stdin/stdout, one request per line:
//   tensor <name> <d0> <d1> ...   creates a randn tensor            -> "ok"
//   time <op> <iters>             one timing round of <op>          -> ns per op
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::map<std::string, at::Tensor> tensors;

// The ops, as the C++ API spells them; each call's result is freed at the end of the statement.
std::function<at::Tensor()> OpBody(const std::string& op) {
  const at::Tensor& a = tensors.at("a");
  const at::Tensor& b = tensors.at("b");
  if (op == "add") return [&] { return a.add(b); };
  if (op == "mul") return [&] { return a.mul(b); };
  if (op == "relu") return [&] { return a.relu(); };
  if (op == "sum") return [&] { return a.sum(); };
  if (op == "matmul") return [&] { return a.matmul(b); };
  if (op == "conv2d") {
    const at::Tensor& x = tensors.at("x");
    const at::Tensor& w = tensors.at("w");
    const at::Tensor& bias = tensors.at("bias");
    return [&] { return at::conv2d(x, w, bias, 1, 1); };
  }
  throw std::runtime_error("unknown op " + op);
}

double TimeRound(const std::function<at::Tensor()>& body, int64_t iters) {
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < iters; ++i) body();
  std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / static_cast<double>(iters);
}

}  // namespace

int main() {
  at::set_num_threads(1);
  at::manual_seed(0);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd, name;
    in >> cmd >> name;
    if (cmd == "tensor") {
      std::vector<int64_t> shape;
      for (int64_t d; in >> d;) shape.push_back(d);
      tensors[name] = at::randn(shape);
      std::cout << "ok" << std::endl;
    } else {
      int64_t iters = 0;
      in >> iters;
      std::cout << TimeRound(OpBody(name), iters) << std::endl;
    }
  }
  return 0;
}
