// ivalue_convert.cc — JS value ↔ TorchScript IValue conversion, directed by the method schema's types.
#include "ivalue_convert.h"

#include <ATen/core/function_schema.h>
#include <ATen/core/jit_type.h>

#include <cmath>

#include "errors.h"
#include "tensor_wrap.h"

namespace nt {
namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1

std::string Describe(Napi::Value v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "the number " + v.ToString().Utf8Value();
    case napi_string: return "a string";
    case napi_bigint: return "a bigint";
    case napi_external: return "a Tensor";
    case napi_function: return "a function";
    default: return v.IsArray() ? "an array of length " + std::to_string(v.As<Napi::Array>().Length()) : "an object";
  }
}

bool IsPlainObject(Napi::Env env, Napi::Value v) {
  if (v.Type() != napi_object || v.IsArray() || v.IsTypedArray() || v.IsArrayBuffer() || v.IsPromise()) return false;
  Napi::Object proto = env.Global().Get("Object").As<Napi::Object>().Get("prototype").As<Napi::Object>();
  Napi::Value own = env.Global().Get("Object").As<Napi::Object>().Get("getPrototypeOf").As<Napi::Function>().Call({v});
  return own.IsNull() || own.StrictEquals(proto);
}

class Converter {
 public:
  Converter(Napi::Env env, const char* op) : env_(env), op_(op) {}

  c10::IValue Convert(Napi::Value v, const c10::TypePtr& type, const std::string& where) {
    switch (type->kind()) {
      case c10::TypeKind::TensorType: return Tensor(v, where, type);
      case c10::TypeKind::IntType: return Int(v, where, type);
      case c10::TypeKind::FloatType:
        if (!v.IsNumber()) throw Mismatch(v, where, type);
        return v.As<Napi::Number>().DoubleValue();
      case c10::TypeKind::NumberType:
        if (!v.IsNumber() && !v.IsBigInt()) throw Mismatch(v, where, type);
        return Infer(v, where);
      case c10::TypeKind::BoolType:
        if (!v.IsBoolean()) throw Mismatch(v, where, type);
        return v.As<Napi::Boolean>().Value();
      case c10::TypeKind::StringType:
        if (!v.IsString()) throw Mismatch(v, where, type);
        return v.As<Napi::String>().Utf8Value();
      case c10::TypeKind::DeviceObjType:
        if (!v.IsString()) throw Mismatch(v, where, type);
        return c10::Device(v.As<Napi::String>().Utf8Value());
      case c10::TypeKind::NoneType:
        if (!IsNullish(v)) throw Mismatch(v, where, type);
        return c10::IValue();
      case c10::TypeKind::OptionalType:
        if (IsNullish(v)) return c10::IValue();
        return Convert(v, type->expectRef<c10::OptionalType>().getElementType(), where);
      case c10::TypeKind::UnionType: return Union(v, where, type);
      case c10::TypeKind::ListType: return List(v, where, type->expectRef<c10::ListType>().getElementType());
      case c10::TypeKind::TupleType: return Tuple(v, where, type);
      case c10::TypeKind::DictType: return Dict(v, where, type);
      case c10::TypeKind::AnyType: return Infer(v, where);
      default:
        throw TypeErr(env_, op_, where + ": TorchScript type " + type->annotation_str() + " cannot be passed from JS");
    }
  }

  // The IValue for a value whose type the schema leaves open (Any, Scalar).
  c10::IValue Infer(Napi::Value v, const std::string& where) {
    if (HandleOf(env_, v) != nullptr) return Tensor(v, where, c10::TensorType::get());
    if (v.IsBoolean()) return v.As<Napi::Boolean>().Value();
    if (v.IsBigInt()) return Int(v, where, c10::IntType::get());
    if (v.IsNumber()) {
      double d = v.As<Napi::Number>().DoubleValue();
      if (std::trunc(d) == d && std::fabs(d) <= kMaxSafeInteger) return static_cast<int64_t>(d);
      return d;
    }
    if (v.IsString()) return v.As<Napi::String>().Utf8Value();
    if (IsNullish(v)) return c10::IValue();
    if (v.IsArray()) return List(v, where, InferElementType(v.As<Napi::Array>(), where));
    if (IsPlainObject(env_, v)) {
      Napi::Object obj = v.As<Napi::Object>();
      Napi::Array keys = obj.GetPropertyNames();
      std::vector<Napi::Value> values;
      for (uint32_t i = 0; i < keys.Length(); ++i) values.push_back(obj.Get(keys.Get(i)));
      c10::TypePtr valueType = CommonType(values, where);
      return Dict(v, where, c10::TypePtr(c10::DictType::create(c10::StringType::get(), valueType)));
    }
    throw TypeErr(env_, op_, where + " cannot be converted to a TorchScript value (got " + Describe(v) + ")");
  }

 private:
  Napi::Error Mismatch(Napi::Value v, const std::string& where, const c10::TypePtr& type) {
    return TypeErr(env_, op_, where + " must be " + type->annotation_str() + ", got " + Describe(v));
  }

  c10::IValue Tensor(Napi::Value v, const std::string& where, const c10::TypePtr& type) {
    TensorHandle* h = HandleOf(env_, v);
    if (h == nullptr) throw Mismatch(v, where, type);
    if (!h->tensor.defined()) throw PlainErr(env_, op_, where + ": tensor was disposed");
    return h->tensor;
  }

  c10::IValue Int(Napi::Value v, const std::string& where, const c10::TypePtr& type) {
    if (v.IsBigInt()) {
      bool lossless = false;
      int64_t out = v.As<Napi::BigInt>().Int64Value(&lossless);
      if (!lossless) throw TypeErr(env_, op_, where + ": bigint does not fit in a 64-bit int");
      return out;
    }
    if (!v.IsNumber()) throw Mismatch(v, where, type);
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::trunc(d) != d || std::fabs(d) > kMaxSafeInteger) throw Mismatch(v, where, type);
    return static_cast<int64_t>(d);
  }

  c10::IValue Union(Napi::Value v, const std::string& where, const c10::TypePtr& type) {
    for (const c10::TypePtr& member : type->containedTypes()) {
      try {
        return Convert(v, member, where);
      } catch (const Napi::Error&) {
        continue;  // try the next member type
      }
    }
    throw Mismatch(v, where, type);
  }

  c10::IValue List(Napi::Value v, const std::string& where, const c10::TypePtr& elementType) {
    if (!v.IsArray()) throw Mismatch(v, where, c10::ListType::create(elementType));
    Napi::Array arr = v.As<Napi::Array>();
    c10::impl::GenericList list(elementType);
    list.reserve(arr.Length());
    for (uint32_t i = 0; i < arr.Length(); ++i) list.push_back(Convert(arr.Get(i), elementType, where + "[" + std::to_string(i) + "]"));
    return list;
  }

  c10::IValue Tuple(Napi::Value v, const std::string& where, const c10::TypePtr& type) {
    const auto& tuple = type->expectRef<c10::TupleType>();
    at::ArrayRef<c10::TypePtr> types = tuple.elements();
    std::vector<c10::IValue> items;
    if (v.IsArray()) {
      Napi::Array arr = v.As<Napi::Array>();
      if (arr.Length() != types.size()) {
        throw TypeErr(env_, op_, where + " must be " + type->annotation_str() + " (an array of " + std::to_string(types.size()) +
                                     " values), got " + Describe(v));
      }
      for (uint32_t i = 0; i < arr.Length(); ++i) items.push_back(Convert(arr.Get(i), types[i], where + "[" + std::to_string(i) + "]"));
    } else if (tuple.schema() && IsPlainObject(env_, v)) {
      Napi::Object obj = v.As<Napi::Object>();
      const auto& fields = tuple.schema()->arguments();
      for (size_t i = 0; i < fields.size(); ++i) items.push_back(Convert(obj.Get(fields[i].name()), types[i], where + "." + fields[i].name()));
    } else {
      throw Mismatch(v, where, type);
    }
    if (tuple.schema()) return c10::ivalue::Tuple::createNamed(std::move(items), type->expect<c10::TupleType>());
    return c10::ivalue::Tuple::create(std::move(items));
  }

  c10::IValue Dict(Napi::Value v, const std::string& where, const c10::TypePtr& dictType) {
    if (!IsPlainObject(env_, v)) throw Mismatch(v, where, dictType);
    const auto& type = dictType->expectRef<c10::DictType>();
    c10::TypeKind keyKind = type.getKeyType()->kind();
    if (keyKind != c10::TypeKind::StringType && keyKind != c10::TypeKind::IntType) {
      throw TypeErr(env_, op_, where + ": " + type.annotation_str() + " cannot be passed from JS (keys must be str or int)");
    }
    Napi::Object obj = v.As<Napi::Object>();
    Napi::Array keys = obj.GetPropertyNames();
    c10::impl::GenericDict dict(type.getKeyType(), type.getValueType());
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      std::string key = keys.Get(i).ToString().Utf8Value();
      c10::IValue value = Convert(obj.Get(key), type.getValueType(), where + "['" + key + "']");
      if (keyKind == c10::TypeKind::StringType) {
        dict.insert_or_assign(key, std::move(value));
        continue;
      }
      size_t used = 0;
      int64_t intKey = 0;
      try {
        intKey = std::stoll(key, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != key.size()) throw TypeErr(env_, op_, where + ": key '" + key + "' is not an integer, as " + type.annotation_str() + " needs");
      dict.insert_or_assign(intKey, std::move(value));
    }
    return dict;
  }

  // The element type of a list inferred from a JS array (for Any): one kind → that list type
  // (ints mixed with floats → float); anything else is refused.
  c10::TypePtr InferElementType(Napi::Array arr, const std::string& where) {
    std::vector<Napi::Value> values;
    for (uint32_t i = 0; i < arr.Length(); ++i) values.push_back(arr.Get(i));
    return CommonType(values, where);
  }

  c10::TypePtr CommonType(const std::vector<Napi::Value>& values, const std::string& where) {
    c10::TypePtr common;
    for (const Napi::Value& v : values) {
      c10::TypePtr t = Infer(v, where).type();
      if (!common) {
        common = t;
      } else if (*common != *t) {
        bool numeric = (common->kind() == c10::TypeKind::IntType || common->kind() == c10::TypeKind::FloatType) &&
                       (t->kind() == c10::TypeKind::IntType || t->kind() == c10::TypeKind::FloatType);
        if (!numeric) {
          throw TypeErr(env_, op_, where + ": values of mixed types (" + common->annotation_str() + ", " + t->annotation_str() +
                                       ") need a method schema that says what they are");
        }
        common = c10::FloatType::get();
      }
    }
    if (!common) throw TypeErr(env_, op_, where + ": the type of an empty array or object needs a method schema that says it");
    return common;
  }

  static bool IsNullish(Napi::Value v) { return v.IsUndefined() || v.IsNull(); }

  Napi::Env env_;
  const char* op_;
};

Napi::Value Int64ToJs(Napi::Env env, int64_t v) {
  if (std::fabs(static_cast<double>(v)) <= kMaxSafeInteger) return Napi::Number::New(env, static_cast<double>(v));
  return Napi::BigInt::New(env, v);
}

Napi::Value DictKeyToJs(Napi::Env env, const char* op, const c10::IValue& key) {
  if (key.isString()) return Napi::String::New(env, key.toStringRef());
  if (key.isInt()) return Napi::String::New(env, std::to_string(key.toInt()));
  if (key.isBool()) return Napi::String::New(env, key.toBool() ? "true" : "false");
  if (key.isDouble()) return Napi::Number::New(env, key.toDouble()).ToString();
  throw TypeErr(env, op, "a Dict with " + key.type()->annotation_str() + " keys cannot be returned to JS");
}

}  // namespace

c10::IValue JsToIValue(Napi::Env env, const char* op, Napi::Value value, const c10::TypePtr& type, const std::string& where) {
  return Converter(env, op).Convert(value, type, where);
}

Napi::Value IValueToJs(Napi::Env env, const char* op, const c10::IValue& v) {
  if (v.isTensor()) return Wrap(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isInt()) return Int64ToJs(env, v.toInt());
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isDevice()) return Napi::String::New(env, v.toDevice().str());
  if (v.isList()) {
    c10::List<c10::IValue> list = v.toList();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) out.Set(static_cast<uint32_t>(i), IValueToJs(env, op, list.get(i)));
    return out;
  }
  if (v.isTuple()) {
    const auto& items = v.toTupleRef().elements();
    Napi::Array out = Napi::Array::New(env, items.size());
    for (size_t i = 0; i < items.size(); ++i) out.Set(static_cast<uint32_t>(i), IValueToJs(env, op, items[i]));
    return out;
  }
  if (v.isGenericDict()) {
    Napi::Object out = Napi::Object::New(env);
    for (const auto& entry : v.toGenericDict()) out.Set(DictKeyToJs(env, op, entry.key()), IValueToJs(env, op, entry.value()));
    return out;
  }
  throw TypeErr(env, op, "a result of TorchScript type " + v.type()->annotation_str() + " cannot be returned to JS");
}

}  // namespace nt
