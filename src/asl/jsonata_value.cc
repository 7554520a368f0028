#include "jsonata_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <new>

#include "jsonata_error.h"

namespace stepd::asl::jsonata {

void ThrowValueTooDeep() {
  throw Error("U1001", "The value is nested too deeply (more than " +
                           std::to_string(kMaxValueDepth) + " levels of arrays and objects)");
}

// --- ObjectData ---

ObjectData::ObjectData(const ObjectData& other) : members_(other.members_) {
  if (members_.size() > kIndexThreshold) RebuildIndex();
}

ObjectData& ObjectData::operator=(const ObjectData& other) {
  if (this != &other) {
    members_ = other.members_;
    index_.clear();
    if (members_.size() > kIndexThreshold) RebuildIndex();
  }
  return *this;
}

void ObjectData::RebuildIndex() {
  index_.clear();
  index_.reserve(members_.size() * 2);
  for (size_t i = 0; i < members_.size(); ++i) index_.emplace(members_[i].first, i);
}

void ObjectData::Reserve(size_t n) {
  if (n <= members_.capacity()) return;
  members_.reserve(n);
  if (!index_.empty()) RebuildIndex();  // the strings moved
}

const Value* ObjectData::Find(std::string_view key) const {
  if (!index_.empty()) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &members_[it->second].second;
  }
  for (const auto& [k, v] : members_) {
    if (k == key) return &v;
  }
  return nullptr;
}

void ObjectData::Set(std::string key, Value value) {
  if (const Value* existing = Find(key)) {
    *const_cast<Value*>(existing) = std::move(value);
    return;
  }
  AppendNew(std::move(key), std::move(value));
}

void ObjectData::AppendNew(std::string key, Value value) {
  bool moves = members_.size() == members_.capacity();
  members_.emplace_back(std::move(key), std::move(value));
  if (members_.size() > kIndexThreshold) {
    if (moves || index_.empty()) {
      RebuildIndex();
    } else {
      index_.emplace(members_.back().first, members_.size() - 1);
    }
  }
}

bool ObjectData::Erase(std::string_view key) {
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].first != key) continue;
    members_.erase(members_.begin() + static_cast<ptrdiff_t>(i));
    index_.clear();
    if (members_.size() > kIndexThreshold) RebuildIndex();
    return true;
  }
  return false;
}

// --- Value ---

Value Value::Bool(bool b) {
  Value v(Type::kBool);
  v.b_ = b;
  return v;
}

Value Value::Number(double n) {
  Value v(Type::kNumber);
  v.n_ = n;
  return v;
}

Value Value::String(std::string s) {
  Value v(Type::kString);
  v.heap_ = std::make_shared<std::string>(std::move(s));
  return v;
}

Value Value::String(std::shared_ptr<const std::string> s) {
  Value v(Type::kString);
  v.heap_ = std::const_pointer_cast<std::string>(std::move(s));
  return v;
}

Value Value::Array(std::shared_ptr<ArrayData> a) {
  Value v(Type::kArray);
  v.heap_ = std::move(a);
  return v;
}

Value Value::Object(std::shared_ptr<ObjectData> o) {
  Value v(Type::kObject);
  v.heap_ = std::move(o);
  return v;
}

// Destroying the payload destroys the values it holds, which would destroy
// theirs, and so on: instead, while one payload is being destroyed, the
// payloads of the values that go with it are only queued (nested calls find
// `releasing` set), then destroyed one after the other here, each queueing
// its own. The stack then holds one level whatever the depth.
void Value::Release() noexcept {
  if (heap_.use_count() != 1) return;  // not the last holder: nothing is destroyed
  struct Queue {
    bool releasing = false;
    std::vector<std::shared_ptr<void>> pending;
  };
  thread_local Queue queue;
  if (queue.releasing) {
    try {
      queue.pending.push_back(std::move(heap_));
    } catch (const std::bad_alloc&) {
      // Left to the destructor of heap_: recursion, one level more.
    }
    return;
  }
  queue.releasing = true;
  heap_.reset();
  while (!queue.pending.empty()) {
    std::shared_ptr<void> next = std::move(queue.pending.back());
    queue.pending.pop_back();
    next.reset();
  }
  // Keep a small queue for the next time, not the peak of a huge value.
  if (queue.pending.capacity() > 4096) std::vector<std::shared_ptr<void>>().swap(queue.pending);
  queue.releasing = false;
}

Value Value::Func(std::shared_ptr<const Function> f) {
  Value v(Type::kFunction);
  v.heap_ = std::const_pointer_cast<Function>(std::move(f));
  return v;
}

Value Value::MakeArray(bool sequence) {
  auto a = std::make_shared<ArrayData>();
  a->sequence = sequence;
  return Array(std::move(a));
}

Value Value::MakeObject() { return Object(std::make_shared<ObjectData>()); }

Value Value::Get(std::string_view key) const {
  if (!is_object()) return Value();
  const Value* v = object().Find(key);
  return v ? *v : Value();
}

// --- JSON ---

namespace {

// `depth`: the level of `j` if it is an array or object.
template <class J>
Value FromJsonT(const J& j, int depth) {
  using T = typename J::value_t;
  switch (j.type()) {
    case T::null:
      return Value::Null();
    case T::boolean:
      return Value::Bool(j.template get<bool>());
    case T::number_integer:
      return Value::Number(static_cast<double>(j.template get<int64_t>()));
    case T::number_unsigned:
      return Value::Number(static_cast<double>(j.template get<uint64_t>()));
    case T::number_float:
      return Value::Number(j.template get<double>());
    case T::string:
      return Value::String(j.template get_ref<const std::string&>());
    case T::array: {
      CheckValueDepth(depth);
      Value a = Value::MakeArray();
      auto& items = a.mutable_array().items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(FromJsonT(e, depth + 1));
      return a;
    }
    case T::object: {
      CheckValueDepth(depth);
      Value o = Value::MakeObject();
      ObjectData& data = o.mutable_object();
      data.Reserve(j.size());
      // A JSON object's keys are unique: no need to look each up first.
      for (auto it = j.begin(); it != j.end(); ++it) {
        data.AppendNew(it.key(), FromJsonT(it.value(), depth + 1));
      }
      return o;
    }
    default:
      return Value();
  }
}

constexpr double kMaxSafeInteger = 9007199254740992.0;  // 2^53

template <class J>
J ToJsonT(const Value& v, int depth) {
  switch (v.type()) {
    case Type::kUndefined:
    case Type::kNull:
      return J();
    case Type::kBool:
      return J(v.boolean());
    case Type::kNumber: {
      double n = v.number();
      if (!std::isfinite(n)) return J();
      if (std::trunc(n) == n && std::fabs(n) <= kMaxSafeInteger) {
        return J(static_cast<int64_t>(n));
      }
      return J(n);
    }
    case Type::kString:
      return J(v.string());
    case Type::kArray: {
      CheckValueDepth(depth);
      J out = J::array();
      for (const Value& item : v.items()) {
        if (item.is_defined()) out.push_back(ToJsonT<J>(item, depth + 1));
      }
      return out;
    }
    case Type::kObject: {
      CheckValueDepth(depth);
      J out = J::object();
      for (const auto& [k, item] : v.object().members()) {
        if (item.is_defined()) out[k] = ToJsonT<J>(item, depth + 1);
      }
      return out;
    }
    case Type::kFunction:
      return J("");
  }
  return J();
}

}  // namespace

Value FromJson(const nlohmann::json& j) { return FromJsonT(j, 1); }
Value FromJson(const nlohmann::ordered_json& j) { return FromJsonT(j, 1); }
nlohmann::json ToJson(const Value& v) { return ToJsonT<nlohmann::json>(v, 1); }
size_t TextSizeAtLeast(const Value& v, size_t enough) {
  // A stack of the arrays and objects being walked and the next child of
  // each: memory grows with depth, not with size.
  struct Open {
    const Value* value;
    size_t next;
  };
  size_t size = 0;
  std::vector<Open> open;
  const Value* at = &v;
  while (size < enough) {
    if (at != nullptr) {
      switch (at->type()) {
        case Type::kString:
          size += at->string().size() + 2;
          break;
        case Type::kArray:
          size += 1 + std::max<size_t>(at->items().size(), 1);  // brackets and commas
          open.push_back({at, 0});
          break;
        case Type::kObject:
          size += 1 + std::max<size_t>(at->object().members().size(), 1);
          open.push_back({at, 0});
          break;
        case Type::kUndefined:
          break;
        default:  // null, true, false, a number, a function (""): a byte at least
          size += 1;
          break;
      }
      at = nullptr;
      continue;
    }
    if (open.empty()) break;
    Open& top = open.back();
    if (top.value->is_array()) {
      if (top.next < top.value->items().size()) {
        at = &top.value->items()[top.next++];
        continue;
      }
    } else if (top.next < top.value->object().members().size()) {
      const auto& [key, member] = top.value->object().members()[top.next++];
      size += key.size() + 3;  // quotes and colon
      at = &member;
      continue;
    }
    open.pop_back();
  }
  return size;
}

nlohmann::ordered_json ToOrderedJson(const Value& v) {
  return ToJsonT<nlohmann::ordered_json>(v, 1);
}

// --- Numbers ---

std::string NumberToString(double n) {
  if (std::isnan(n)) return "NaN";
  if (std::isinf(n)) return n > 0 ? "Infinity" : "-Infinity";
  if (n == 0) return "0";
  // Shortest round-trip digits d1.d2...dk and exponent e: n = 0.d1...dk * 10^(e+1).
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, n, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  bool negative = sci[0] == '-';
  if (negative) sci.remove_prefix(1);
  size_t epos = sci.find('e');
  char digits[32];
  int k = 0;
  for (char c : sci.substr(0, epos)) {
    if (c != '.') digits[k++] = c;
  }
  std::string_view exp_text = sci.substr(epos + 1);
  if (exp_text[0] == '+') exp_text.remove_prefix(1);
  int exp = 0;
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);
  int point = exp + 1;  // JS's n: digits * 10^(point - k)
  std::string out;
  out.reserve(32);
  if (negative) out += '-';
  if (k <= point && point <= 21) {
    out.append(digits, static_cast<size_t>(k));
    out.append(static_cast<size_t>(point - k), '0');
  } else if (0 < point && point <= 21) {
    out.append(digits, static_cast<size_t>(point));
    out += '.';
    out.append(digits + point, static_cast<size_t>(k - point));
  } else if (-6 < point && point <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-point), '0');
    out.append(digits, static_cast<size_t>(k));
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits + 1, static_cast<size_t>(k - 1));
    }
    out += 'e';
    out += point - 1 < 0 ? '-' : '+';
    out += std::to_string(std::abs(point - 1));
  }
  return out;
}

// --- Sequences, equality, types ---

Value Unwrap(const Value& v) {
  if (!v.is_sequence()) return v;
  const ArrayData& a = v.array();
  if (a.items.empty()) return Value();
  if (a.items.size() == 1 && !a.keep_singleton) return a.items[0];
  return v;
}

namespace {

// `depth`: the level of `a` and `b` if they are arrays or objects.
bool DeepEqualAt(const Value& a, const Value& b, int depth) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::kUndefined:
    case Type::kNull:
      return true;
    case Type::kBool:
      return a.boolean() == b.boolean();
    case Type::kNumber:
      return a.number() == b.number();
    case Type::kString:
      return a.heap() == b.heap() || a.string() == b.string();
    case Type::kArray: {
      if (a.heap() == b.heap()) return true;
      const auto& x = a.items();
      const auto& y = b.items();
      if (x.size() != y.size()) return false;
      CheckValueDepth(depth);
      for (size_t i = 0; i < x.size(); ++i) {
        if (!DeepEqualAt(x[i], y[i], depth + 1)) return false;
      }
      return true;
    }
    case Type::kObject: {
      if (a.heap() == b.heap()) return true;
      const ObjectData& x = a.object();
      const ObjectData& y = b.object();
      if (x.size() != y.size()) return false;
      CheckValueDepth(depth);
      for (const auto& [k, v] : x.members()) {
        const Value* w = y.Find(k);
        if (!w || !DeepEqualAt(v, *w, depth + 1)) return false;
      }
      return true;
    }
    case Type::kFunction:
      return a.heap() == b.heap();
  }
  return false;
}

}  // namespace

bool DeepEqual(const Value& a, const Value& b) { return DeepEqualAt(a, b, 1); }

std::string_view TypeName(Type t) {
  switch (t) {
    case Type::kUndefined:
      return "undefined";
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "boolean";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
    case Type::kArray:
      return "array";
    case Type::kObject:
      return "object";
    case Type::kFunction:
      return "function";
  }
  return "undefined";
}

// --- UTF-8 ---

namespace {

inline bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

// The byte offset of code point `index` (s.size() when past the end).
size_t ByteOffset(std::string_view s, size_t index, size_t from = 0) {
  size_t i = from;
  while (index > 0 && i < s.size()) {
    ++i;
    while (i < s.size() && IsContinuation(s[i])) ++i;
    --index;
  }
  return i;
}

}  // namespace

size_t CodePointCount(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += !IsContinuation(c);
  return n;
}

std::string_view CodePointSubstr(std::string_view s, size_t start, size_t length) {
  size_t b = ByteOffset(s, start);
  size_t e = ByteOffset(s, length, b);
  return s.substr(b, e - b);
}

std::vector<std::string_view> CodePoints(std::string_view s) {
  std::vector<std::string_view> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i + 1;
    while (j < s.size() && IsContinuation(s[j])) ++j;
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

int CompareStrings(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  size_t d = 0;
  while (d < n && a[d] == b[d]) ++d;
  if (d == n) return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
  // The lead bytes of the differing characters (shared before d).
  size_t i = d;
  while (i > 0 && IsContinuation(a[i])) --i;
  auto la = static_cast<unsigned char>(a[i]), lb = static_cast<unsigned char>(b[i]);
  // An astral character is a surrogate pair in UTF-16 (D800..DBFF first):
  // it sorts before U+E000..U+FFFF (lead bytes EE, EF).
  if (la >= 0xf0 && lb < 0xf0 && lb >= 0xee) return -1;
  if (lb >= 0xf0 && la < 0xf0 && la >= 0xee) return 1;
  return static_cast<unsigned char>(a[d]) < static_cast<unsigned char>(b[d]) ? -1 : 1;
}

}  // namespace stepd::asl::jsonata
