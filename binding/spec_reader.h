// spec_reader.h — reads plain JS spec objects (layer, loss, optimizer descriptions built by lib/)
// into C++ values, with errors that name the op and the field.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "errors.h"

namespace nt {

class SpecReader {
 public:
  SpecReader(Napi::Object obj, std::string op, std::string where) : obj_(obj), op_(std::move(op)), where_(std::move(where)) {}

  bool Has(const char* key) const {
    Napi::Value v = obj_.Get(key);
    return !v.IsUndefined() && !v.IsNull();
  }
  std::string String(const char* key) const {
    Napi::Value v = Field(key);
    if (!v.IsString()) throw Bad(key, "a string");
    return v.As<Napi::String>().Utf8Value();
  }
  double Number(const char* key) const {
    Napi::Value v = Field(key);
    if (!v.IsNumber()) throw Bad(key, "a number");
    return v.As<Napi::Number>().DoubleValue();
  }
  double Number(const char* key, double fallback) const { return Has(key) ? Number(key) : fallback; }
  int64_t Int(const char* key) const { return static_cast<int64_t>(Number(key)); }
  int64_t Int(const char* key, int64_t fallback) const { return Has(key) ? Int(key) : fallback; }
  bool Bool(const char* key, bool fallback) const {
    if (!Has(key)) return fallback;
    Napi::Value v = obj_.Get(key);
    if (!v.IsBoolean()) throw Bad(key, "a boolean");
    return v.As<Napi::Boolean>().Value();
  }
  std::vector<int64_t> Ints(const char* key) const {
    Napi::Value v = Field(key);
    if (!v.IsArray()) throw Bad(key, "an array of integers");
    Napi::Array arr = v.As<Napi::Array>();
    std::vector<int64_t> out(arr.Length());
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value el = arr.Get(i);
      if (!el.IsNumber()) throw Bad(key, "an array of integers");
      out[i] = el.As<Napi::Number>().Int64Value();
    }
    return out;
  }
  std::vector<double> Numbers(const char* key) const {
    Napi::Value v = Field(key);
    if (!v.IsArray()) throw Bad(key, "an array of numbers");
    Napi::Array arr = v.As<Napi::Array>();
    std::vector<double> out(arr.Length());
    for (uint32_t i = 0; i < arr.Length(); ++i) out[i] = arr.Get(i).As<Napi::Number>().DoubleValue();
    return out;
  }
  Napi::Object Object(const char* key) const {
    Napi::Value v = Field(key);
    if (!v.IsObject()) throw Bad(key, "an object");
    return v.As<Napi::Object>();
  }
  Napi::Value Raw(const char* key) const { return obj_.Get(key); }
  const std::string& op() const { return op_; }

 private:
  Napi::Value Field(const char* key) const {
    Napi::Value v = obj_.Get(key);
    if (v.IsUndefined()) throw TypeErr(obj_.Env(), op_.c_str(), where_ + ": missing '" + key + "'");
    return v;
  }
  Napi::Error Bad(const char* key, const char* expected) const {
    return TypeErr(obj_.Env(), op_.c_str(), where_ + ": '" + key + "' must be " + expected);
  }

  Napi::Object obj_;
  std::string op_;
  std::string where_;
};

}  // namespace nt
