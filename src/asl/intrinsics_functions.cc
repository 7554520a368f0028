// The 18 intrinsic functions, on evaluated arguments. Argument rules follow
// what Step Functions does, including its quirks:
//  * every rejected argument is States.Runtime "Invalid arguments in States.X";
//  * MathAdd rounds fractional numbers half up (Java Math.round); ArrayRange,
//    ArrayPartition, ArrayGetItem and MathRandom truncate them toward zero;
//  * Format and Hash render non-string values as Java's toString does
//    ({k=v, k2=[1, 2]}, null);
//  * Base64Decode is lenient: characters outside the alphabet are skipped and
//    decoding stops at the first '='; invalid UTF-8 becomes U+FFFD.

#include <openssl/evp.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "intrinsics_internal.h"

namespace stepd::asl::intrinsics_internal {

namespace {

// Input size limit of Base64Encode, Base64Decode and Hash, in characters.
constexpr size_t kMaxStringInput = 10000;
// Largest array States.ArrayRange builds.
constexpr int64_t kMaxRangeItems = 1000;
constexpr int64_t kIntMin = std::numeric_limits<int32_t>::min();
constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();

using Args = std::span<const Json* const>;

// Java's String.length(): UTF-16 code units of a UTF-8 string.
size_t Utf16Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) == 0x80) continue;
    n += (c >= 0xF0) ? 2 : 1;
  }
  return n;
}

// Truncates a number toward zero (Java intValue()); nullopt for non-numbers
// and values outside the int32 range.
std::optional<int64_t> TruncatedInt(const Json& v) {
  if (v.is_number_integer()) {
    int64_t i = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(kIntMax) ? kIntMax + 1
                                                                                : v.get<int64_t>();
    if (i < kIntMin || i > kIntMax) return std::nullopt;
    return i;
  }
  if (v.is_number_float()) {
    double d = std::trunc(v.get<double>());
    if (!std::isfinite(d) || d < double(kIntMin) || d > double(kIntMax)) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

// Rounds half up (Java Math.round); nullopt for non-numbers and values
// outside the int32 range.
std::optional<int64_t> RoundedInt(const Json& v) {
  if (v.is_number_integer()) return TruncatedInt(v);
  if (v.is_number_float()) {
    double d = std::floor(v.get<double>() + 0.5);
    if (!std::isfinite(d) || d < double(kIntMin) || d > double(kIntMax)) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

// Structural equality: object key order does not matter, numbers compare by
// value (1 equals 1.0).
bool JsonEquals(const Json& a, const Json& b) {
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !JsonEquals(it.value(), *other)) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!JsonEquals(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

// Java toString of the value Jackson would map `v` to.
void AppendJavaString(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::string:
      out += v.get_ref<const std::string&>();
      return;
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        out += it.key();
        out += '=';
        AppendJavaString(it.value(), out);
      }
      out += '}';
      return;
    }
    case Json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out += ", ";
        AppendJavaString(v[i], out);
      }
      out += ']';
      return;
    }
    default:
      out += DumpForCause(v);  // null, true, false, numbers
  }
}

AslResult<Json> Format(const Node& node, Args args) {
  if (args.empty() || !args[0]->is_string()) return InvalidArguments(node.function);
  FormatTemplate runtime;
  const FormatTemplate* tmpl = node.format.has_value() ? &*node.format : nullptr;
  if (tmpl == nullptr) {
    runtime = CompileFormatTemplate(args[0]->get_ref<const std::string&>(), false);
    tmpl = &runtime;
  }
  if (!tmpl->valid || tmpl->placeholders() != args.size() - 1) {
    return InvalidArguments(node.function);
  }
  std::string out = tmpl->pieces[0];
  for (size_t i = 1; i < tmpl->pieces.size(); ++i) {
    AppendJavaString(*args[i], out);
    out += tmpl->pieces[i];
  }
  return Json(std::move(out));
}

AslResult<Json> StringToJson(const Node& node, Args args) {
  if (args.size() != 1 || !args[0]->is_string()) return InvalidArguments(node.function);
  const std::string& text = args[0]->get_ref<const std::string&>();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Json(nullptr);
  // ParseJson: a string nesting deeper than kMaxJsonDepth is refused like
  // any text that is not JSON.
  auto parsed = ParseJson(text);
  if (!parsed.ok()) return InvalidArguments(node.function);
  return std::move(parsed).value();
}

AslResult<Json> ArrayPartition(const Node& node, Args args) {
  if (args.size() != 2 || !args[0]->is_array()) return InvalidArguments(node.function);
  std::optional<int64_t> size = TruncatedInt(*args[1]);
  if (!size.has_value() || *size <= 0) return InvalidArguments(node.function);
  Json out = Json::array();
  const Json& array = *args[0];
  for (size_t i = 0; i < array.size(); i += size_t(*size)) {
    Json chunk = Json::array();
    for (size_t j = i; j < array.size() && j < i + size_t(*size); ++j) chunk.push_back(array[j]);
    out.push_back(std::move(chunk));
  }
  return out;
}

AslResult<Json> ArrayContains(const Node& node, Args args) {
  if (args.size() != 2 || !args[0]->is_array()) return InvalidArguments(node.function);
  for (const Json& item : *args[0]) {
    if (JsonEquals(item, *args[1])) return Json(true);
  }
  return Json(false);
}

AslResult<Json> ArrayRange(const Node& node, Args args) {
  if (args.size() != 3) return InvalidArguments(node.function);
  std::optional<int64_t> start = TruncatedInt(*args[0]);
  std::optional<int64_t> end = TruncatedInt(*args[1]);
  std::optional<int64_t> step = TruncatedInt(*args[2]);
  if (!start || !end || !step || *step == 0) return InvalidArguments(node.function);
  int64_t count = 0;
  if ((*step > 0 && *end >= *start) || (*step < 0 && *end <= *start)) {
    count = (*end - *start) / *step + 1;
  }
  if (count > kMaxRangeItems) return InvalidArguments(node.function);
  Json out = Json::array();
  for (int64_t i = 0; i < count; ++i) out.push_back(*start + i * *step);
  return out;
}

AslResult<Json> ArrayGetItem(const Node& node, Args args) {
  if (args.size() != 2 || !args[0]->is_array()) return InvalidArguments(node.function);
  std::optional<int64_t> index = TruncatedInt(*args[1]);
  if (!index.has_value()) return InvalidArguments(node.function);
  // AWS answers null for any index into an empty array.
  if (args[0]->empty()) return Json(nullptr);
  if (*index < 0 || size_t(*index) >= args[0]->size()) return InvalidArguments(node.function);
  return (*args[0])[size_t(*index)];
}

AslResult<Json> ArrayUnique(const Node& node, Args args) {
  if (args.size() != 1 || !args[0]->is_array()) return InvalidArguments(node.function);
  Json out = Json::array();
  for (const Json& item : *args[0]) {
    bool seen = false;
    for (const Json& kept : out) {
      if (JsonEquals(kept, item)) {
        seen = true;
        break;
      }
    }
    if (!seen) out.push_back(item);
  }
  return out;
}

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

std::string Base64DecodeLenient(std::string_view in) {
  std::string out;
  uint32_t bits = 0;
  int nbits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = Base64Value(c);
    if (v < 0) continue;
    bits = (bits << 6) | uint32_t(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out.push_back(char((bits >> nbits) & 0xFF));
    }
  }
  return out;
}

// Replaces each invalid UTF-8 sequence with U+FFFD, as Java's decoder does.
std::string SanitizeUtf8(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    auto c = uint8_t(in[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    bool ok = len > 0 && i + len <= in.size();
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; ok && k < len; ++k) {
      auto cc = uint8_t(in[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok) {
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (ok) {
      out.append(in, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

AslResult<Json> Hash(const Node& node, Args args) {
  if (args.size() != 2 || !args[1]->is_string()) return InvalidArguments(node.function);
  const std::string& algorithm = args[1]->get_ref<const std::string&>();
  const EVP_MD* md = algorithm == "MD5"       ? EVP_md5()
                     : algorithm == "SHA-1"   ? EVP_sha1()
                     : algorithm == "SHA-256" ? EVP_sha256()
                     : algorithm == "SHA-384" ? EVP_sha384()
                     : algorithm == "SHA-512" ? EVP_sha512()
                                              : nullptr;
  if (md == nullptr || args[0]->is_null()) return InvalidArguments(node.function);
  std::string rendered;
  if (!args[0]->is_string()) AppendJavaString(*args[0], rendered);
  const std::string& data =
      args[0]->is_string() ? args[0]->get_ref<const std::string&>() : rendered;
  if (Utf16Length(data) > kMaxStringInput) return InvalidArguments(node.function);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &digest_len, md, nullptr) != 1) {
    return InvalidArguments(node.function);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest_len * 2);
  for (unsigned int i = 0; i < digest_len; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return Json(std::move(hex));
}

AslResult<Json> JsonMerge(const Node& node, Args args) {
  // Only the shallow mode exists: a third argument of true is rejected; AWS
  // treats any other value (even a string) as false.
  if (args.size() != 3 || !args[0]->is_object() || !args[1]->is_object() ||
      (args[2]->is_boolean() && args[2]->get<bool>())) {
    return InvalidArguments(node.function);
  }
  Json out = *args[0];
  for (auto it = args[1]->begin(); it != args[1]->end(); ++it) out[it.key()] = it.value();
  return out;
}

// java.util.Random, so that a seeded States.MathRandom is reproducible.
class JavaRandom {
 public:
  explicit JavaRandom(int64_t seed) : seed_((uint64_t(seed) ^ kMultiplier) & kMask) {}
  int32_t NextInt(int32_t bound) {  // bound > 0
    int32_t r = Next(31);
    int32_t m = bound - 1;
    if ((bound & m) == 0) return int32_t((int64_t(bound) * int64_t(r)) >> 31);
    for (int32_t u = r; int32_t(uint32_t(u) - uint32_t(r = u % bound) + uint32_t(m)) < 0;
         u = Next(31)) {
    }
    return r;
  }

 private:
  static constexpr uint64_t kMultiplier = 0x5DEECE66DULL;
  static constexpr uint64_t kMask = (uint64_t(1) << 48) - 1;
  int32_t Next(int bits) {
    seed_ = (seed_ * kMultiplier + 0xBULL) & kMask;
    return int32_t(uint32_t(seed_ >> (48 - bits)));
  }
  uint64_t seed_;
};

std::mt19937_64& ThreadRandom() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

AslResult<Json> MathRandom(const Node& node, Args args) {
  if (args.size() != 2 && args.size() != 3) return InvalidArguments(node.function);
  std::optional<int64_t> start = TruncatedInt(*args[0]);
  std::optional<int64_t> end = TruncatedInt(*args[1]);
  if (!start || !end || *start >= *end) return InvalidArguments(node.function);
  int64_t bound = *end - *start;
  if (args.size() == 3) {
    if (!args[2]->is_number()) return InvalidArguments(node.function);
    int64_t seed = args[2]->is_number_float() ? int64_t(std::trunc(args[2]->get<double>()))
                                              : args[2]->get<int64_t>();
    JavaRandom random(seed);
    if (bound <= kIntMax) return Json(*start + random.NextInt(int32_t(bound)));
    // Beyond Java's nextInt range: still deterministic for the seed.
    std::mt19937_64 engine(static_cast<uint64_t>(seed));
    return Json(*start + int64_t(engine() % uint64_t(bound)));
  }
  std::uniform_int_distribution<int64_t> dist(*start, *end - 1);
  return Json(dist(ThreadRandom()));
}

AslResult<Json> MathAdd(const Node& node, Args args) {
  if (args.size() != 2) return InvalidArguments(node.function);
  std::optional<int64_t> a = RoundedInt(*args[0]);
  std::optional<int64_t> b = RoundedInt(*args[1]);
  if (!a || !b) return InvalidArguments(node.function);
  int64_t sum = *a + *b;
  if (sum < kIntMin || sum > kIntMax) return InvalidArguments(node.function);
  return Json(sum);
}

size_t Utf8Length(unsigned char lead) {
  return lead < 0x80           ? 1
         : (lead >> 5) == 0x6  ? 2
         : (lead >> 4) == 0xE  ? 3
         : (lead >> 3) == 0x1E ? 4
                               : 1;
}

AslResult<Json> StringSplit(const Node& node, Args args) {
  if (args.size() != 2 || !args[0]->is_string() || !args[1]->is_string()) {
    return InvalidArguments(node.function);
  }
  const std::string& text = args[0]->get_ref<const std::string&>();
  const std::string& delimiters = args[1]->get_ref<const std::string&>();
  std::vector<std::string_view> delims;  // each delimiter character, as UTF-8
  for (size_t i = 0; i < delimiters.size();) {
    size_t len = std::min(Utf8Length(uint8_t(delimiters[i])), delimiters.size() - i);
    delims.emplace_back(delimiters.data() + i, len);
    i += len;
  }
  Json out = Json::array();
  std::string current;
  for (size_t i = 0; i < text.size();) {
    size_t len = std::min(Utf8Length(uint8_t(text[i])), text.size() - i);
    std::string_view ch(text.data() + i, len);
    bool is_delim = false;
    for (std::string_view d : delims) {
      if (d == ch) {
        is_delim = true;
        break;
      }
    }
    if (is_delim) {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
    } else {
      current.append(ch);
    }
    i += len;
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

AslResult<Json> Uuid(const Node& node, Args args) {
  if (!args.empty()) return InvalidArguments(node.function);
  std::mt19937_64& engine = ThreadRandom();
  uint64_t hi = engine();
  uint64_t lo = engine();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 32; ++i) {
    uint64_t word = i < 16 ? hi : lo;
    int shift = 60 - 4 * (i % 16);
    out += kHex[(word >> shift) & 15];
    if (i == 7 || i == 11 || i == 15 || i == 19) out += '-';
  }
  return Json(std::move(out));
}

}  // namespace

AslError InvalidArguments(IntrinsicFunction f) {
  return AslError::Of(StatesError::kRuntime,
                      "Invalid arguments in " + std::string(IntrinsicFunctionName(f)));
}

AslResult<Json> Invoke(const Node& node, Args args) {
  switch (node.function) {
    case IntrinsicFunction::kFormat:
      return Format(node, args);
    case IntrinsicFunction::kStringToJson:
      return StringToJson(node, args);
    case IntrinsicFunction::kJsonToString:
      if (args.size() != 1) return InvalidArguments(node.function);
      return Json(DumpForCause(*args[0]));
    case IntrinsicFunction::kArray: {
      Json out = Json::array();
      for (const Json* arg : args) out.push_back(*arg);
      return out;
    }
    case IntrinsicFunction::kArrayPartition:
      return ArrayPartition(node, args);
    case IntrinsicFunction::kArrayContains:
      return ArrayContains(node, args);
    case IntrinsicFunction::kArrayRange:
      return ArrayRange(node, args);
    case IntrinsicFunction::kArrayGetItem:
      return ArrayGetItem(node, args);
    case IntrinsicFunction::kArrayLength:
      if (args.size() != 1 || !args[0]->is_array()) return InvalidArguments(node.function);
      return Json(args[0]->size());
    case IntrinsicFunction::kArrayUnique:
      return ArrayUnique(node, args);
    case IntrinsicFunction::kBase64Encode:
      if (args.size() != 1 || !args[0]->is_string() ||
          Utf16Length(args[0]->get_ref<const std::string&>()) > kMaxStringInput) {
        return InvalidArguments(node.function);
      }
      return Json(Base64Encode(args[0]->get_ref<const std::string&>()));
    case IntrinsicFunction::kBase64Decode:
      if (args.size() != 1 || !args[0]->is_string() ||
          Utf16Length(args[0]->get_ref<const std::string&>()) > kMaxStringInput) {
        return InvalidArguments(node.function);
      }
      return Json(SanitizeUtf8(Base64DecodeLenient(args[0]->get_ref<const std::string&>())));
    case IntrinsicFunction::kHash:
      return Hash(node, args);
    case IntrinsicFunction::kJsonMerge:
      return JsonMerge(node, args);
    case IntrinsicFunction::kMathRandom:
      return MathRandom(node, args);
    case IntrinsicFunction::kMathAdd:
      return MathAdd(node, args);
    case IntrinsicFunction::kStringSplit:
      return StringSplit(node, args);
    case IntrinsicFunction::kUuid:
      return Uuid(node, args);
  }
  return InvalidArguments(node.function);
}

}  // namespace stepd::asl::intrinsics_internal
