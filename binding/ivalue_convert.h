// ivalue_convert.h — converts between JS values and TorchScript IValues for jit module calls.
//
// JS → IValue is directed by the TorchScript type the method schema expects for the argument
// (List[int] vs List[float] vs Tuple[...], Dict[str, T], Optional, Union, ...). Where the schema
// says Any (or a Scalar), the type is inferred: JS integers → int, other numbers → float,
// arrays of one kind → that list, mixed arrays → tuples, plain objects → Dict[str, T].
// IValue → JS: tensors become tensor handles, ints/floats numbers (ints past 2^53 BigInts),
// lists and tuples arrays, dicts plain objects, None null, devices strings.
#pragma once
#include <ATen/core/ivalue.h>
#include <napi.h>

#include <string>

namespace nt {

// `value` as an IValue of TorchScript type `type`; `where` names the value in errors
// ("argument 1 'x'"). Throws a JS TypeError naming `op` when the value does not fit the type.
c10::IValue JsToIValue(Napi::Env env, const char* op, Napi::Value value, const c10::TypePtr& type, const std::string& where);

// The JS form of a method's result; throws a TypeError naming `op` for values with no JS form
// (script objects, futures, ...).
Napi::Value IValueToJs(Napi::Env env, const char* op, const c10::IValue& value);

}  // namespace nt
