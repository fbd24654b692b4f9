// ops_handles.c — a Node-API addon with nothing but handle kinds, for bench/ops_handles.js: what
// one JS handle for a native object costs to create, collect and read, per Node-API mechanism
// (no libtorch). Built once with gcc against node-api-headers into build/bench/.
#define NAPI_EXPERIMENTAL
#define NAPI_VERSION 2147483647
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>

// The native object behind a handle, recycled through a free list as nodetorch's handles are.
typedef struct Slot {
  uint64_t tag;
  struct Slot* next;
} Slot;

static Slot* spare = NULL;

static Slot* take(void) {
  if (spare == NULL) {
    Slot* s = malloc(sizeof(Slot));
    s->tag = 42;
    return s;
  }
  Slot* s = spare;
  spare = s->next;
  return s;
}

// A basic finalizer (run by the GC as it collects the handle), like binding/tensor_wrap.cc's.
static void recycle(node_api_basic_env env, void* data, void* hint) {
  Slot* s = data;
  s->next = spare;
  spare = s;
}

static napi_value arg0(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value v;
  napi_get_cb_info(env, info, &argc, &v, NULL, NULL);
  return v;
}

// nodetorch's handle: an external with a finalizer.
static napi_value external(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_create_external(env, take(), recycle, NULL, &v);
  return v;
}

// The same without a finalizer (no GC backstop): the floor of an external.
static napi_value externalNoFinalizer(napi_env env, napi_callback_info info) {
  static Slot fixed = {42, NULL};
  napi_value v;
  napi_create_external(env, &fixed, NULL, NULL, &v);
  return v;
}

// A plain object with the native object wrapped on it (napi_wrap).
static napi_value wrapped(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_create_object(env, &v);
  napi_wrap(env, v, take(), recycle, NULL, NULL);
  return v;
}

// A number (a slot index): no JS object at all; the GC backstop must then come from JS
// (a FinalizationRegistry, in bench/ops_handles.js).
static napi_value number(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_create_int32(env, 7, &v);
  return v;
}

static napi_value readExternal(napi_env env, napi_callback_info info) {
  void* data;
  napi_get_value_external(env, arg0(env, info), &data);
  return NULL;
}

static napi_value readWrapped(napi_env env, napi_callback_info info) {
  void* data;
  napi_unwrap(env, arg0(env, info), &data);
  return NULL;
}

static napi_value readNumber(napi_env env, napi_callback_info info) {
  int32_t n;
  napi_get_value_int32(env, arg0(env, info), &n);
  return NULL;
}

// A pool of disposed handles, for the dispose path: a handle given back (disposed) is kept alive by
// a reference and handed out again as the next result, instead of a new external.
#define POOL_MAX 1024
static napi_ref strongPool[POOL_MAX], weakPool[POOL_MAX];
static int strongPooled = 0, weakPooled = 0;

// Variant "strong": a strong reference per stay in the pool, created on give, deleted on take.
static napi_value poolTakeStrong(napi_env env, napi_callback_info info) {
  if (strongPooled == 0) return external(env, info);
  napi_ref ref = strongPool[--strongPooled];
  napi_value v;
  napi_get_reference_value(env, ref, &v);
  napi_delete_reference(env, ref);
  return v;
}

static napi_value poolGiveStrong(napi_env env, napi_callback_info info) {
  napi_value v = arg0(env, info);
  void* data;
  napi_get_value_external(env, v, &data);
  if (strongPooled < POOL_MAX) napi_create_reference(env, v, 1, &strongPool[strongPooled++]);
  return NULL;
}

// Variant "weak": one reference per handle for its whole life (kept in its slot), strong while
// pooled and weak while a JS object holds the handle (napi_reference_ref / unref).
typedef struct RefSlot {
  uint64_t tag;
  napi_ref ref;
} RefSlot;

static void freeRefSlot(node_api_basic_env env, void* data, void* hint) {
  free(data);  // a real pool would defer deleting the slot's reference to the JS thread
}

static napi_value poolTakeWeak(napi_env env, napi_callback_info info) {
  if (weakPooled == 0) {
    RefSlot* s = calloc(1, sizeof(RefSlot));
    napi_value v;
    napi_create_external(env, s, freeRefSlot, NULL, &v);
    return v;
  }
  napi_ref ref = weakPool[--weakPooled];
  napi_value v;
  napi_get_reference_value(env, ref, &v);
  uint32_t count;
  napi_reference_unref(env, ref, &count);
  return v;
}

static napi_value poolGiveWeak(napi_env env, napi_callback_info info) {
  napi_value v = arg0(env, info);
  RefSlot* s;
  napi_get_value_external(env, v, (void**)&s);
  if (weakPooled >= POOL_MAX) return NULL;
  if (s->ref == NULL) {
    napi_create_reference(env, v, 1, &s->ref);
  } else {
    uint32_t count;
    napi_reference_ref(env, s->ref, &count);
  }
  weakPool[weakPooled++] = s->ref;
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"external", NULL, external, NULL, NULL, NULL, napi_default, NULL},
      {"externalNoFinalizer", NULL, externalNoFinalizer, NULL, NULL, NULL, napi_default, NULL},
      {"wrapped", NULL, wrapped, NULL, NULL, NULL, napi_default, NULL},
      {"number", NULL, number, NULL, NULL, NULL, napi_default, NULL},
      {"readExternal", NULL, readExternal, NULL, NULL, NULL, napi_default, NULL},
      {"readWrapped", NULL, readWrapped, NULL, NULL, NULL, napi_default, NULL},
      {"readNumber", NULL, readNumber, NULL, NULL, NULL, napi_default, NULL},
      {"poolTakeStrong", NULL, poolTakeStrong, NULL, NULL, NULL, napi_default, NULL},
      {"poolGiveStrong", NULL, poolGiveStrong, NULL, NULL, NULL, napi_default, NULL},
      {"poolTakeWeak", NULL, poolTakeWeak, NULL, NULL, NULL, napi_default, NULL},
      {"poolGiveWeak", NULL, poolGiveWeak, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
