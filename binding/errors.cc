// errors.cc — maps c10/std exceptions to JS error classes with clean, op-prefixed messages.
#include "errors.h"

#include <c10/util/Exception.h>

#include <new>

#include "env_state.h"
#include "ownership.h"

namespace nt {
namespace {

std::string Prefixed(const char* op, const std::string& message) {
  std::string out(op);
  out += ": ";
  // libtorch messages may carry trailing blank lines or a context block; keep the first paragraph
  // plus any extra lines, but never a C++ backtrace (those come only from what()).
  std::string msg = message;
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  out += msg;
  return out;
}

// Creates the JS error with raw N-API calls that report failure instead of throwing: while a
// worker thread is being terminated every call fails, and the error is then left empty (not thrown).
Napi::Error Make(Napi::Env env, napi_status (*ctor)(napi_env, napi_value, napi_value, napi_value*),
                 const std::string& message) {
  napi_value msg = nullptr;
  napi_value err = nullptr;
  if (napi_create_string_utf8(env, message.data(), message.size(), &msg) != napi_ok ||
      ctor(env, nullptr, msg, &err) != napi_ok) {
    return Napi::Error();
  }
  return Napi::Error(env, err);
}

Napi::Error OutOfMemory(Napi::Env env, const std::string& message) {
  auto* state = env.GetInstanceData<EnvState>();
  napi_value cls = nullptr;
  napi_value msg = nullptr;
  napi_value err = nullptr;
  if (state != nullptr && !state->oomErrorClass.IsEmpty() &&
      napi_get_reference_value(env, state->oomErrorClass, &cls) == napi_ok && cls != nullptr &&
      napi_create_string_utf8(env, message.data(), message.size(), &msg) == napi_ok &&
      napi_new_instance(env, cls, 1, &msg, &err) == napi_ok) {
    return Napi::Error(env, err);
  }
  return Make(env, napi_create_error, message);
}

}  // namespace

Napi::Error TypeErr(Napi::Env env, const char* op, const std::string& message) {
  return Make(env, napi_create_type_error, Prefixed(op, message));
}

Napi::Error RangeErr(Napi::Env env, const char* op, const std::string& message) {
  return Make(env, napi_create_range_error, Prefixed(op, message));
}

Napi::Error PlainErr(Napi::Env env, const char* op, const std::string& message) {
  return Make(env, napi_create_error, Prefixed(op, message));
}

Napi::Error CurrentExceptionAsJs(Napi::Env env, const char* op) {
  try {
    throw;
  } catch (const Napi::Error& e) {
    return e;
  } catch (const BusyError& e) {  // named after the call that found the object busy
    return PlainErr(env, e.op(), e.what());
  } catch (const c10::OutOfMemoryError& e) {
    return OutOfMemory(env, Prefixed(op, e.what_without_backtrace()));
  } catch (const c10::TypeError& e) {
    return TypeErr(env, op, e.what_without_backtrace());
  } catch (const c10::IndexError& e) {
    return RangeErr(env, op, e.what_without_backtrace());
  } catch (const c10::ValueError& e) {
    return RangeErr(env, op, e.what_without_backtrace());
  } catch (const c10::Error& e) {
    // The CPU allocator reports failure as a plain c10::Error ("DefaultCPUAllocator: can't
    // allocate memory" in libtorch 1.13, "not enough memory" later): still an out-of-memory.
    const std::string msg = e.what_without_backtrace();
    if (msg.find("DefaultCPUAllocator: can't allocate memory") != std::string::npos ||
        msg.find("DefaultCPUAllocator: not enough memory") != std::string::npos) {
      return OutOfMemory(env, Prefixed(op, msg));
    }
    return PlainErr(env, op, msg);
  } catch (const std::bad_alloc&) {
    return OutOfMemory(env, Prefixed(op, "out of memory"));
  } catch (const std::out_of_range& e) {
    return RangeErr(env, op, e.what());
  } catch (const std::invalid_argument& e) {
    return TypeErr(env, op, e.what());
  } catch (const std::exception& e) {
    return PlainErr(env, op, e.what());
  } catch (...) {
    return PlainErr(env, op, "unknown native error");
  }
}

}  // namespace nt
