// errors.h — turns C++/libtorch exceptions into JS errors whose message starts with the op name.
#pragma once
#include <napi.h>

#include <string>

namespace nt {

// Builds the JS error for the exception being handled (call only inside a catch block):
// c10::TypeError → TypeError, c10::IndexError/ValueError → RangeError, out of memory →
// OutOfMemoryError (when the JS layer registered that class), anything else → Error.
// libtorch backtraces are stripped; the message reads "<op>: <what went wrong>".
Napi::Error CurrentExceptionAsJs(Napi::Env env, const char* op);

// A plain argument error raised by the binding itself ("<op>: <message>").
Napi::Error TypeErr(Napi::Env env, const char* op, const std::string& message);
Napi::Error RangeErr(Napi::Env env, const char* op, const std::string& message);
Napi::Error PlainErr(Napi::Env env, const char* op, const std::string& message);

}  // namespace nt
