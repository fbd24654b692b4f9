// safetensors.cc — reading and writing safetensors files: the header JSON (a small strict parser
// and writer for this restricted schema), full validation on read, atomic replacement on write,
// and the exports (Promise forms do the file I/O and tensor copies on a worker thread).
#include "safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <system_error>
#include <unordered_set>

#include "args.h"
#include "async.h"
#include "tensor_wrap.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors data is little-endian and is copied as raw bytes");

namespace nt {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the reference implementation's limit
constexpr int kMaxJsonDepth = 64;
constexpr uint64_t kIoChunk = 1ull << 30;

[[noreturn]] void Fail(const std::string& path, const std::string& what) { throw std::runtime_error(path + ": " + what); }

std::string SysError(const std::string& action) { return action + " (" + std::generic_category().message(errno) + ")"; }

// ---- dtypes ---------------------------------------------------------------------------------

struct Dtype {
  const char* name;
  at::ScalarType type;
  uint64_t size;
};

const Dtype kDtypes[] = {
    {"F64", at::kDouble, 8}, {"F32", at::kFloat, 4}, {"F16", at::kHalf, 2}, {"BF16", at::kBFloat16, 2}, {"I64", at::kLong, 8},
    {"I32", at::kInt, 4},    {"I16", at::kShort, 2}, {"I8", at::kChar, 1},  {"U8", at::kByte, 1},       {"BOOL", at::kBool, 1},
};

// Dtypes of the format that libtorch has no scalar type for.
const char* const kUnsupportedDtypes[] = {"U16", "U32", "U64", "F8_E4M3", "F8_E5M2"};

const Dtype* DtypeByName(const std::string& name) {
  for (const Dtype& d : kDtypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

const Dtype* DtypeByType(at::ScalarType type) {
  for (const Dtype& d : kDtypes) {
    if (type == d.type) return &d;
  }
  return nullptr;
}

std::string DtypeList() {
  std::string out;
  for (const Dtype& d : kDtypes) out += (out.empty() ? "" : ", ") + std::string(d.name);
  return out;
}

// ---- header JSON: parsing -------------------------------------------------------------------

struct JsonValue {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  std::string text;  // a string's contents, a number's literal, or "true"/"false"
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;  // in document order
};

// A short description of a JSON value for error messages.
std::string Describe(const JsonValue& v) {
  switch (v.kind) {
    case JsonValue::Kind::Null: return "null";
    case JsonValue::Kind::Bool: return v.text;
    case JsonValue::Kind::Number: return v.text;
    case JsonValue::Kind::String: return "the string \"" + (v.text.size() > 40 ? v.text.substr(0, 40) + "..." : v.text) + "\"";
    case JsonValue::Kind::Array: return "an array of " + std::to_string(v.items.size());
    case JsonValue::Kind::Object: return "an object";
  }
  return "a value";
}

// A strict RFC 8259 parser; errors give the byte position inside the header.
class JsonParser {
 public:
  JsonParser(const std::string& path, const std::string& text) : path_(path), s_(text) {}

  JsonValue Document() {
    SkipSpace();
    JsonValue v = Value(0);
    SkipSpace();
    if (pos_ != s_.size()) Error("unexpected data after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void Error(const std::string& what) {
    Fail(path_, "malformed JSON header at byte " + std::to_string(pos_) + ": " + what);
  }

  bool AtEnd() const { return pos_ >= s_.size(); }
  bool IsDigit() const { return !AtEnd() && s_[pos_] >= '0' && s_[pos_] <= '9'; }

  void SkipSpace() {
    while (!AtEnd() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }

  bool Eat(char c) {
    if (AtEnd() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  std::string Found() const {
    if (AtEnd()) return "the end of the header";
    unsigned char c = static_cast<unsigned char>(s_[pos_]);
    if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
    return buf;
  }

  JsonValue Value(int depth) {
    if (depth > kMaxJsonDepth) Error("values nested more than " + std::to_string(kMaxJsonDepth) + " deep");
    JsonValue v;
    if (AtEnd()) Error("expected a value, found the end of the header");
    switch (s_[pos_]) {
      case '{':
        v.kind = JsonValue::Kind::Object;
        ++pos_;
        SkipSpace();
        if (Eat('}')) return v;
        do {
          SkipSpace();
          if (AtEnd() || s_[pos_] != '"') Error("expected a string key, found " + Found());
          std::string key = String();
          SkipSpace();
          if (!Eat(':')) Error("expected ':', found " + Found());
          SkipSpace();
          v.members.emplace_back(std::move(key), Value(depth + 1));
          SkipSpace();
        } while (Eat(','));
        if (!Eat('}')) Error("expected ',' or '}', found " + Found());
        return v;
      case '[':
        v.kind = JsonValue::Kind::Array;
        ++pos_;
        SkipSpace();
        if (Eat(']')) return v;
        do {
          SkipSpace();
          v.items.push_back(Value(depth + 1));
          SkipSpace();
        } while (Eat(','));
        if (!Eat(']')) Error("expected ',' or ']', found " + Found());
        return v;
      case '"':
        v.kind = JsonValue::Kind::String;
        v.text = String();
        return v;
      case 't':
        Word("true");
        v.kind = JsonValue::Kind::Bool;
        v.text = "true";
        return v;
      case 'f':
        Word("false");
        v.kind = JsonValue::Kind::Bool;
        v.text = "false";
        return v;
      case 'n':
        Word("null");
        return v;
      default:
        if (s_[pos_] != '-' && !IsDigit()) Error("expected a value, found " + Found());
        v.kind = JsonValue::Kind::Number;
        v.text = Number();
        return v;
    }
  }

  void Word(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (s_.compare(pos_, n, word) != 0) Error("expected a value, found " + Found());
    pos_ += n;
  }

  std::string Number() {
    size_t start = pos_;
    Eat('-');
    if (!Eat('0')) {
      if (!IsDigit()) Error("invalid number");
      while (IsDigit()) ++pos_;
    }
    if (Eat('.')) {
      if (!IsDigit()) Error("invalid number");
      while (IsDigit()) ++pos_;
    }
    if (!AtEnd() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (!Eat('+')) Eat('-');
      if (!IsDigit()) Error("invalid number");
      while (IsDigit()) ++pos_;
    }
    return s_.substr(start, pos_ - start);
  }

  uint32_t Hex4() {
    if (s_.size() - pos_ < 4) Error("incomplete \\u escape");
    uint32_t out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_];
      uint32_t digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 16;
      if (digit == 16) Error("invalid hex digit in a \\u escape");
      out = out * 16 + digit;
      ++pos_;
    }
    return out;
  }

  uint32_t CodePoint() {
    uint32_t cp = Hex4();
    if (cp >= 0xDC00 && cp <= 0xDFFF) Error("unpaired low surrogate in a \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (!(Eat('\\') && Eat('u'))) Error("unpaired high surrogate in a \\u escape");
      uint32_t low = Hex4();
      if (low < 0xDC00 || low > 0xDFFF) Error("unpaired high surrogate in a \\u escape");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    return cp;
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string String() {
    ++pos_;  // the opening quote
    std::string out;
    for (;;) {
      if (AtEnd()) Error("unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c < 0x20) Error("control character inside a string");
      ++pos_;
      if (c == '"') return out;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (AtEnd()) Error("unterminated string");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': AppendUtf8(out, CodePoint()); break;
        default: --pos_; Error("invalid escape sequence");
      }
    }
  }

  const std::string& path_;
  const std::string& s_;
  size_t pos_ = 0;
};

// ---- header: meaning ------------------------------------------------------------------------

struct TensorEntry {
  std::string name;
  const Dtype* dtype;
  std::vector<int64_t> shape;
  uint64_t begin;
  uint64_t end;
};

struct Header {
  std::vector<TensorEntry> tensors;
  StringPairs metadata;
};

const JsonValue* Member(const JsonValue& object, const char* key) {
  for (const auto& m : object.members) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

std::string ListText(const std::vector<uint64_t>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

// A non-negative integer (shape sizes and offsets are nothing else).
uint64_t ToUint(const std::string& path, const JsonValue& v, const std::string& what) {
  if (v.kind != JsonValue::Kind::Number || v.text.find_first_not_of("0123456789") != std::string::npos) {
    Fail(path, what + " must be a non-negative integer, got " + Describe(v));
  }
  uint64_t out = 0;
  for (char c : v.text) {
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (out > (std::numeric_limits<uint64_t>::max() - digit) / 10) Fail(path, what + " is too large: " + v.text);
    out = out * 10 + digit;
  }
  return out;
}

TensorEntry ReadTensorInfo(const std::string& path, const std::string& name, const JsonValue& info, uint64_t dataBytes) {
  const std::string what = "tensor '" + name + "'";
  if (info.kind != JsonValue::Kind::Object) Fail(path, what + " must be described by an object, got " + Describe(info));
  TensorEntry entry{name, nullptr, {}, 0, 0};

  const JsonValue* dtype = Member(info, "dtype");
  if (dtype == nullptr) Fail(path, what + " has no \"dtype\"");
  if (dtype->kind != JsonValue::Kind::String) Fail(path, what + " has dtype " + Describe(*dtype) + ", expected a string");
  entry.dtype = DtypeByName(dtype->text);
  if (entry.dtype == nullptr) {
    bool known = std::any_of(std::begin(kUnsupportedDtypes), std::end(kUnsupportedDtypes), [&](const char* d) { return dtype->text == d; });
    Fail(path, what + (known ? " has dtype '" + dtype->text + "', which libtorch has no type for" : " has unknown dtype '" + dtype->text + "'") +
                   " (readable: " + DtypeList() + ")");
  }

  const JsonValue* shape = Member(info, "shape");
  if (shape == nullptr) Fail(path, what + " has no \"shape\"");
  if (shape->kind != JsonValue::Kind::Array) Fail(path, what + " has shape " + Describe(*shape) + ", expected an array of sizes");
  uint64_t numel = 1;
  std::vector<uint64_t> sizes;
  for (size_t i = 0; i < shape->items.size(); ++i) {
    uint64_t d = ToUint(path, shape->items[i], what + " shape[" + std::to_string(i) + "]");
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) || __builtin_mul_overflow(numel, d, &numel)) {
      Fail(path, what + " has an impossibly large shape");
    }
    sizes.push_back(d);
    entry.shape.push_back(static_cast<int64_t>(d));
  }

  const JsonValue* offsets = Member(info, "data_offsets");
  if (offsets == nullptr) Fail(path, what + " has no \"data_offsets\"");
  if (offsets->kind != JsonValue::Kind::Array || offsets->items.size() != 2) {
    Fail(path, what + " has data_offsets " + Describe(*offsets) + ", expected [begin, end]");
  }
  entry.begin = ToUint(path, offsets->items[0], what + " data_offsets[0]");
  entry.end = ToUint(path, offsets->items[1], what + " data_offsets[1]");
  const std::string range = ListText({entry.begin, entry.end});
  if (entry.begin > entry.end) Fail(path, what + " has data_offsets " + range + " that end before they begin");
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(numel, entry.dtype->size, &bytes)) Fail(path, what + " has an impossibly large shape");
  if (entry.end - entry.begin != bytes) {
    Fail(path, what + " has dtype " + entry.dtype->name + " and shape " + ListText(sizes) + " (" + std::to_string(bytes) +
                   " bytes) but data_offsets " + range + " span " + std::to_string(entry.end - entry.begin) + " bytes");
  }
  if (entry.end > dataBytes) {
    Fail(path, what + " has data_offsets " + range + " past the end of the data (" + std::to_string(dataBytes) +
                   " bytes follow the header; truncated file?)");
  }
  return entry;
}

// Tensor data must tile the data section exactly: no overlaps, gaps or trailing bytes.
void CheckLayout(const std::string& path, const std::vector<TensorEntry>& tensors, uint64_t dataBytes) {
  std::vector<const TensorEntry*> order;
  for (const TensorEntry& t : tensors) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const TensorEntry* a, const TensorEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  const TensorEntry* previous = nullptr;
  for (const TensorEntry* t : order) {
    if (t->begin < covered) {
      Fail(path, "tensors '" + previous->name + "' and '" + t->name + "' overlap (data_offsets " + ListText({previous->begin, previous->end}) +
                     " and " + ListText({t->begin, t->end}) + ")");
    }
    if (t->begin > covered) {
      Fail(path, "bytes " + std::to_string(covered) + " to " + std::to_string(t->begin) + " of the data belong to no tensor (gap before tensor '" +
                     t->name + "')");
    }
    covered = t->end;
    previous = t;
  }
  if (covered != dataBytes) {
    Fail(path, "the header describes " + std::to_string(covered) + " bytes of tensor data but " + std::to_string(dataBytes) +
                   " bytes follow it (trailing data, or a wrong header length)");
  }
}

Header ParseHeader(const std::string& path, const std::string& text, uint64_t dataBytes) {
  JsonValue root = JsonParser(path, text).Document();
  if (root.kind != JsonValue::Kind::Object) Fail(path, "the header is " + Describe(root) + ", not a JSON object");
  Header header;
  std::unordered_set<std::string> seen;
  for (const auto& [key, value] : root.members) {
    if (!seen.insert(key).second) Fail(path, "the header lists '" + key + "' twice");
    if (key != "__metadata__") {
      header.tensors.push_back(ReadTensorInfo(path, key, value, dataBytes));
      continue;
    }
    if (value.kind != JsonValue::Kind::Object) Fail(path, "\"__metadata__\" must be an object of strings, got " + Describe(value));
    std::unordered_set<std::string> keys;
    for (const auto& [k, v] : value.members) {
      if (!keys.insert(k).second) Fail(path, "\"__metadata__\" lists '" + k + "' twice");
      if (v.kind != JsonValue::Kind::String) Fail(path, "\"__metadata__\" entry '" + k + "' must be a string, got " + Describe(v));
      header.metadata.emplace_back(k, v.text);
    }
  }
  CheckLayout(path, header.tensors, dataBytes);
  return header;
}

// ---- header JSON: writing -------------------------------------------------------------------

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// ---- files ----------------------------------------------------------------------------------

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now, returning close()'s result (write errors can surface here).
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

void ReadAt(const std::string& path, int fd, void* dst, uint64_t bytes, uint64_t offset) {
  auto* p = static_cast<char*>(dst);
  while (bytes > 0) {
    ssize_t n = ::pread(fd, p, static_cast<size_t>(std::min(bytes, kIoChunk)), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Fail(path, SysError("read failed"));
    if (n == 0) Fail(path, "the file ended early (was it truncated while being read?)");
    p += n;
    offset += static_cast<uint64_t>(n);
    bytes -= static_cast<uint64_t>(n);
  }
}

void WriteAll(const std::string& path, int fd, const void* src, uint64_t bytes) {
  auto* p = static_cast<const char*>(src);
  while (bytes > 0) {
    ssize_t n = ::write(fd, p, static_cast<size_t>(std::min(bytes, kIoChunk)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Fail(path, SysError("write failed"));
    p += n;
    bytes -= static_cast<uint64_t>(n);
  }
}

// "<path>.tmp-<pid>-<random hex>": unique per writer; readers never open it.
std::string TempPath(const std::string& path) {
  std::random_device rd;
  uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(r));
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + hex;
}

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Makes the rename durable. Filesystems that cannot sync directories answer EINVAL: nothing to do.
void SyncDirectory(const std::string& path) {
  const std::string dir = DirectoryOf(path);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) Fail(path, SysError("cannot open its directory to sync it"));
  FileDescriptor guard(fd);
  if (::fsync(fd) != 0 && errno != EINVAL) Fail(path, SysError("cannot sync its directory"));
}

}  // namespace

// ---- the format -----------------------------------------------------------------------------

void WriteSafetensors(const std::string& path, const NamedTensors& tensors, const StringPairs& metadata) {
  std::unordered_set<std::string> names;
  std::vector<at::Tensor> data;
  data.reserve(tensors.size());
  for (const auto& [name, tensor] : tensors) {
    const std::string what = "tensor '" + name + "'";
    if (name == "__metadata__") Fail(path, "'__metadata__' is reserved by the format and cannot name a tensor");
    if (!names.insert(name).second) Fail(path, "two tensors are named '" + name + "'");
    if (!tensor.defined()) Fail(path, what + " is undefined");
    if (tensor.layout() != at::kStrided) Fail(path, what + " is not a dense tensor");
    if (DtypeByType(tensor.scalar_type()) == nullptr) {
      Fail(path, what + " has dtype " + c10::toString(tensor.scalar_type()) + ", which safetensors cannot store (storable: " + DtypeList() + ")");
    }
    data.push_back(tensor.detach().to(at::kCPU).contiguous());
  }

  // Data is laid out by element size, largest first, so that every tensor starts aligned to its
  // element size (the header itself is padded to a multiple of 8); the header keeps the given order.
  std::vector<size_t> order(data.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return data[a].element_size() > data[b].element_size(); });
  std::vector<std::pair<uint64_t, uint64_t>> offsets(data.size());
  uint64_t end = 0;
  for (size_t i : order) {
    offsets[i] = {end, end + data[i].nbytes()};
    end += data[i].nbytes();
  }

  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (size_t i = 0; i < metadata.size(); ++i) header += (i ? "," : "") + JsonString(metadata[i].first) + ":" + JsonString(metadata[i].second);
    header += "}";
  }
  for (size_t i = 0; i < data.size(); ++i) {
    if (header.size() > 1) header += ",";
    header += JsonString(tensors[i].first) + ":{\"dtype\":\"" + DtypeByType(data[i].scalar_type())->name + "\",\"shape\":[";
    for (int64_t d = 0; d < data[i].dim(); ++d) header += (d ? "," : "") + std::to_string(data[i].size(d));
    header += "],\"data_offsets\":[" + std::to_string(offsets[i].first) + "," + std::to_string(offsets[i].second) + "]}";
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  if (header.size() > kMaxHeaderBytes) Fail(path, "the header would exceed the format's 100 MiB limit");
  unsigned char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(static_cast<uint64_t>(header.size()) >> (8 * i));

  const std::string tmp = TempPath(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) Fail(path, SysError("cannot create the temporary file " + tmp));
  try {
    FileDescriptor file(fd);
    WriteAll(path, fd, length, sizeof length);
    WriteAll(path, fd, header.data(), header.size());
    for (size_t i : order) {
      if (data[i].nbytes() > 0) WriteAll(path, fd, data[i].data_ptr(), data[i].nbytes());
    }
    if (::fsync(fd) != 0) Fail(path, SysError("fsync failed"));
    if (file.Close() != 0) Fail(path, SysError("close failed"));
    if (::rename(tmp.c_str(), path.c_str()) != 0) Fail(path, SysError("cannot rename " + tmp + " over it"));
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  SyncDirectory(path);
}

SafetensorsContent ReadSafetensors(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(path, SysError("cannot open"));
  FileDescriptor file(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) Fail(path, SysError("cannot stat"));
  if (!S_ISREG(st.st_mode)) Fail(path, "not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < 8) Fail(path, "the file has " + std::to_string(size) + " bytes, too few for the 8-byte header length (empty or truncated file)");

  unsigned char length[8];
  ReadAt(path, fd, length, sizeof length, 0);
  uint64_t headerBytes = 0;
  for (int i = 7; i >= 0; --i) headerBytes = (headerBytes << 8) | length[i];
  if (headerBytes > size - 8) {
    Fail(path, "header length " + std::to_string(headerBytes) + " is larger than the " + std::to_string(size - 8) +
                   " bytes after it (truncated file, or not a safetensors file)");
  }
  if (headerBytes > kMaxHeaderBytes) Fail(path, "header length " + std::to_string(headerBytes) + " exceeds the format's 100 MiB limit");
  std::string text(static_cast<size_t>(headerBytes), '\0');
  ReadAt(path, fd, text.data(), headerBytes, 8);
  Header header = ParseHeader(path, text, size - 8 - headerBytes);

  SafetensorsContent out;
  const uint64_t base = 8 + headerBytes;
  for (const TensorEntry& t : header.tensors) {
    const bool isBool = t.dtype->type == at::kBool;
    at::Tensor tensor = at::empty(t.shape, at::TensorOptions().dtype(isBool ? at::kByte : t.dtype->type));
    if (t.end > t.begin) ReadAt(path, fd, tensor.data_ptr(), t.end - t.begin, base + t.begin);
    if (isBool) tensor = tensor.ne(0);  // any non-zero byte reads as true
    out.tensors.emplace_back(t.name, std::move(tensor));
  }
  out.metadata = std::move(header.metadata);
  return out;
}

// ---- exports --------------------------------------------------------------------------------

namespace {

struct SaveArgs {
  std::string path;
  NamedTensors tensors;
  StringPairs metadata;
};

// (path, names[], tensors[], metadata | null), copied on the main thread.
SaveArgs ReadSaveArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SaveArgs args;
  args.path = StringArg(info, 0);
  if (!info[1].IsArray()) throw TypeErr(env, OpName(info), "names must be an array of strings");
  Napi::Array names = info[1].As<Napi::Array>();
  std::vector<at::Tensor> tensors = TensorListArg(info, 2);
  if (names.Length() != tensors.size()) {
    throw RangeErr(env, OpName(info), std::to_string(names.Length()) + " names for " + std::to_string(tensors.size()) + " tensors");
  }
  for (uint32_t k = 0; k < names.Length(); ++k) {
    Napi::Value name = names.Get(k);
    if (!name.IsString()) throw TypeErr(env, OpName(info), "names[" + std::to_string(k) + "] must be a string");
    args.tensors.emplace_back(name.As<Napi::String>().Utf8Value(), tensors[k]);
  }
  if (IsNullish(info[3])) return args;
  if (!info[3].IsObject()) throw TypeErr(env, OpName(info), "metadata must be an object of strings");
  Napi::Object metadata = info[3].As<Napi::Object>();
  Napi::Array keys = metadata.GetPropertyNames();
  for (uint32_t k = 0; k < keys.Length(); ++k) {
    std::string key = keys.Get(k).ToString().Utf8Value();
    Napi::Value value = metadata.Get(key);
    if (!value.IsString()) throw TypeErr(env, OpName(info), "metadata['" + key + "'] must be a string");
    args.metadata.emplace_back(key, value.As<Napi::String>().Utf8Value());
  }
  return args;
}

// { tensors: [[name, handle], ...], metadata: [[key, value], ...] }
Napi::Value ContentToJs(Napi::Env env, SafetensorsContent& content) {
  Napi::Array tensors = Napi::Array::New(env, content.tensors.size());
  for (uint32_t i = 0; i < content.tensors.size(); ++i) {
    Napi::Array entry = Napi::Array::New(env, 2);
    entry.Set(0u, Napi::String::New(env, content.tensors[i].first));
    entry.Set(1u, Wrap(env, std::move(content.tensors[i].second)));
    tensors.Set(i, entry);
  }
  Napi::Array metadata = Napi::Array::New(env, content.metadata.size());
  for (uint32_t i = 0; i < content.metadata.size(); ++i) {
    Napi::Array entry = Napi::Array::New(env, 2);
    entry.Set(0u, Napi::String::New(env, content.metadata[i].first));
    entry.Set(1u, Napi::String::New(env, content.metadata[i].second));
    metadata.Set(i, entry);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("tensors", tensors);
  out.Set("metadata", metadata);
  return out;
}

class SaveWorker : public PromiseWorker {
 public:
  SaveWorker(Napi::Env env, SaveArgs args) : PromiseWorker(env, "saveSafetensors"), args_(std::move(args)) {}

 protected:
  void Run() override { WriteSafetensors(args_.path, args_.tensors, args_.metadata); }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  SaveArgs args_;  // holds the tensors' storage alive even if JS disposes them meanwhile
};

class LoadWorker : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, std::string path) : PromiseWorker(env, "loadSafetensors"), path_(std::move(path)) {}

 protected:
  void Run() override { content_ = ReadSafetensors(path_); }
  Napi::Value Result(Napi::Env env) override { return ContentToJs(env, content_); }

 private:
  std::string path_;
  SafetensorsContent content_;
};

Napi::Value Save(const Napi::CallbackInfo& info) {
  return (new SaveWorker(info.Env(), ReadSaveArgs(info)))->Queue();
}

Napi::Value SaveSync(const Napi::CallbackInfo& info) {
  SaveArgs args = ReadSaveArgs(info);
  WriteSafetensors(args.path, args.tensors, args.metadata);
  return info.Env().Undefined();
}

Napi::Value Load(const Napi::CallbackInfo& info) {
  return (new LoadWorker(info.Env(), StringArg(info, 0)))->Queue();
}

Napi::Value LoadSync(const Napi::CallbackInfo& info) {
  SafetensorsContent content = ReadSafetensors(StringArg(info, 0));
  return ContentToJs(info.Env(), content);
}

const OpSpec kSafetensorsOps[] = {
    {"saveSafetensors", Save},
    {"saveSafetensorsSync", SaveSync},
    {"loadSafetensors", Load},
    {"loadSafetensorsSync", LoadSync},
};

}  // namespace

void RegisterSafetensors(Napi::Env env, Napi::Object exports) { ExportOps(env, exports, kSafetensorsOps); }

}  // namespace nt
