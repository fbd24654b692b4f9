// safetensors.h — the safetensors file format, natively: an 8-byte little-endian header length,
// a JSON header ({name: {dtype, shape, data_offsets}}, optional "__metadata__" of strings), then
// the raw little-endian tensor bytes. Writes are atomic; reads validate the whole file.
#pragma once
#include <ATen/ATen.h>
#include <napi.h>

#include <string>
#include <utility>
#include <vector>

namespace nt {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;
using StringPairs = std::vector<std::pair<std::string, std::string>>;

struct SafetensorsContent {
  NamedTensors tensors;  // in header order, on the CPU
  StringPairs metadata;  // the "__metadata__" entries, in header order
};

// Writes `tensors` (any device and layout; copied to contiguous CPU memory) and `metadata` to
// `path` atomically: "<path>.tmp-<pid>-<random>" is written and fsynced, renamed over `path`,
// then the directory is fsynced. Throws std::runtime_error naming the file.
void WriteSafetensors(const std::string& path, const NamedTensors& tensors, const StringPairs& metadata);

// Reads a whole file into CPU tensors after validating it (header length against the file size,
// JSON syntax, dtypes, shapes, data offsets in range, non-overlapping and covering the data).
// Throws std::runtime_error naming the file and what is wrong.
SafetensorsContent ReadSafetensors(const std::string& path);

// Exports saveSafetensors/saveSafetensorsSync/loadSafetensors/loadSafetensorsSync.
void RegisterSafetensors(Napi::Env env, Napi::Object exports);

}  // namespace nt
