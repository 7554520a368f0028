#pragma once
// Private to src/asl/jsonata_*.cc: the values a JSONata expression computes.
//
// JSON values plus what JSONata adds: `undefined` (no value, distinct from
// null), functions (lambdas, built-ins, partial applications, regexes), and
// flags on arrays that steer how path results are flattened. Strings, arrays
// and objects are shared, immutable once published: copying a Value is a
// reference-count increment. An array or object may be changed only by the
// code that just made it (Make*), before any other Value refers to it.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "stepd/base/json.h"

namespace stepd::asl::jsonata {

class Value;
class Function;

enum class Type : uint8_t {
  kUndefined,
  kNull,
  kBool,
  kNumber,
  kString,
  kArray,
  kObject,
  kFunction
};

// Arrays and objects nest at most this deep (the outermost is level 1) in
// every walk of a value that recurses: the conversions to and from JSON,
// DeepEqual, $string, $clone, `**`... A deeper value fails it with U1001
// instead of overflowing the stack (each level costs up to a few hundred
// bytes of stack, more in sanitizer builds, on top of what the evaluation
// uses). JSON input nests a few levels, rarely dozens.
inline constexpr int kMaxValueDepth = 1000;

// Throws U1001 (the value nests too deeply) when `depth`, the level of the
// array or object a walk enters, is past kMaxValueDepth.
[[noreturn]] void ThrowValueTooDeep();
inline void CheckValueDepth(int depth) {
  if (depth > kMaxValueDepth) [[unlikely]] {
    ThrowValueTooDeep();
  }
}

// An array's items and how the evaluator treats it (jsonata-js keeps these as
// properties of the JS array).
struct ArrayData {
  std::vector<Value> items;
  // A sequence of results (of a path, a function): a singleton sequence
  // stands for its item, an empty one for undefined.
  bool sequence = false;
  // `[]` after a step: a singleton sequence stays an array.
  bool keep_singleton = false;
  // Made by an array constructor `[...]`: a path step does not flatten it.
  bool cons = false;
  // The outer array of a path that started with an array constructor.
  bool outer_wrapper = false;
  // A stream of tuples (objects binding `@`, `#` and `$var` names) while a
  // path with focus or index variables is evaluated.
  bool tuple_stream = false;
};

// An object's members in insertion order (keys unique). Lookups are linear
// for small objects and hashed past kIndexThreshold members.
class ObjectData {
 public:
  static constexpr size_t kIndexThreshold = 12;

  ObjectData() = default;
  // A copy gets its own index (the index refers into the members' strings).
  ObjectData(const ObjectData& other);
  ObjectData& operator=(const ObjectData& other);
  ObjectData(ObjectData&&) noexcept = default;
  ObjectData& operator=(ObjectData&&) noexcept = default;

  const Value* Find(std::string_view key) const;
  // Replaces the member `key` or appends it.
  void Set(std::string key, Value value);
  // Appends `key`, which the caller knows is not a member yet (a JSON
  // object's keys): no lookup first.
  void AppendNew(std::string key, Value value);
  // Removes the member `key` (keeping the others' order); false when absent.
  bool Erase(std::string_view key);
  // Defined after Value, which they need complete (clang instantiates them
  // here otherwise).
  size_t size() const;
  bool empty() const;
  const std::vector<std::pair<std::string, Value>>& members() const { return members_; }
  void Reserve(size_t n);

 private:
  void RebuildIndex();

  std::vector<std::pair<std::string, Value>> members_;
  std::unordered_map<std::string_view, size_t> index_;  // past the threshold
};

class Value {
 public:
  Value() = default;  // undefined
  Value(const Value&) = default;
  Value(Value&&) noexcept = default;
  Value& operator=(const Value&) = default;
  Value& operator=(Value&&) noexcept = default;
  // The last holder of an array, object or function destroys it without
  // recursing into the values it holds (Release): a loop of the evaluation
  // nests arrays, objects or closures 100,000 levels deep in a blink, and
  // destroying those recursively would overflow the stack.
  ~Value() {
    if (type_ >= Type::kArray && heap_) Release();
  }

  static Value Null() { return Value(Type::kNull); }
  static Value Bool(bool b);
  static Value Number(double n);
  static Value String(std::string s);
  static Value String(std::shared_ptr<const std::string> s);
  static Value Array(std::shared_ptr<ArrayData> a);
  static Value Object(std::shared_ptr<ObjectData> o);
  static Value Func(std::shared_ptr<const Function> f);

  // A new empty array (sequence when `sequence`) or object, ready to fill.
  static Value MakeArray(bool sequence = false);
  static Value MakeSequence() { return MakeArray(true); }
  static Value MakeObject();

  Type type() const { return type_; }
  bool is_undefined() const { return type_ == Type::kUndefined; }
  bool is_defined() const { return type_ != Type::kUndefined; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_function() const { return type_ == Type::kFunction; }
  bool is_sequence() const { return is_array() && array().sequence; }

  bool boolean() const { return b_; }
  double number() const { return n_; }
  const std::string& string() const { return *static_cast<const std::string*>(heap_.get()); }
  const std::shared_ptr<const std::string> shared_string() const {
    return std::static_pointer_cast<const std::string>(heap_);
  }
  const ArrayData& array() const { return *static_cast<const ArrayData*>(heap_.get()); }
  const std::vector<Value>& items() const { return array().items; }
  const ObjectData& object() const { return *static_cast<const ObjectData*>(heap_.get()); }
  const Function& function() const { return *static_cast<const Function*>(heap_.get()); }
  std::shared_ptr<const Function> shared_function() const {
    return std::static_pointer_cast<const Function>(heap_);
  }

  // For the maker of a fresh array or object only (see the file comment).
  ArrayData& mutable_array() const { return *static_cast<ArrayData*>(heap_.get()); }
  ObjectData& mutable_object() const { return *static_cast<ObjectData*>(heap_.get()); }
  void Push(Value v) const { mutable_array().items.push_back(std::move(v)); }

  // The member `key` of an object, undefined when absent or not an object.
  Value Get(std::string_view key) const;

  // Identity of the shared payload (arrays, objects, functions, strings).
  const void* heap() const { return heap_.get(); }
  // No other Value shares the payload: its holder may change it in place.
  bool is_unique() const { return heap_ && heap_.use_count() == 1; }

 private:
  explicit Value(Type t) : type_(t) {}
  void Release() noexcept;

  Type type_ = Type::kUndefined;
  bool b_ = false;
  double n_ = 0;
  std::shared_ptr<void> heap_;
};

inline size_t ObjectData::size() const { return members_.size(); }
inline bool ObjectData::empty() const { return members_.empty(); }

// A callable value. The evaluator defines the kinds (lambda, built-in,
// partial application, regex); this is what every caller may ask of any.
class Function {
 public:
  enum class Kind : uint8_t { kLambda, kBuiltin, kPartial, kRegex };

  virtual ~Function() = default;
  virtual Kind kind() const = 0;
  // The number of parameters it declares: higher-order functions ($map,
  // $filter, $each, $sift, $reduce, $sort) pass only that many arguments.
  virtual size_t arity() const = 0;
};

// Conversions at the boundary with stepd::Json (nlohmann::ordered_json: member
// order kept). JSON numbers become
// doubles; integral doubles within +-2^53 convert back to JSON integers.
// ToJson: undefined inside an array is dropped, inside an object the member
// is dropped; a function becomes "" (as JSON.stringify leaves it out, but
// JSONata's $string renders it as ""); a non-finite number becomes null (as
// JSON.stringify writes it). A top-level undefined becomes null: callers
// check is_undefined() first. Both throw U1001 (an Error, jsonata_error.h)
// for a value nested deeper than kMaxValueDepth.
Value FromJson(const nlohmann::json& j);
nlohmann::json ToJson(const Value& v);
// A lower bound of v's size as JSON text, counted without recursion and
// only until it reaches `enough` (so that a huge value costs no more than a
// small one that passes it).
size_t TextSizeAtLeast(const Value& v, size_t enough);
// The same for nlohmann::ordered_json (stepd::Json), which keeps object
// members in their order (nlohmann::json sorts them by key).
Value FromJson(const nlohmann::ordered_json& j);
nlohmann::ordered_json ToOrderedJson(const Value& v);

// JavaScript's Number.prototype.toString: shortest round-trip digits,
// exponent notation for magnitudes >= 1e21 or < 1e-6 ("1e+21", "1.5e-7").
std::string NumberToString(double n);

// jsonata-js' rules for a result handed to the caller: a sequence of one is
// its item (unless keep_singleton), an empty sequence is undefined.
Value Unwrap(const Value& v);

// Structural equality as `=` and $distinct see it (numbers by value, objects
// regardless of member order, functions by identity). Throws U1001 past
// kMaxValueDepth.
bool DeepEqual(const Value& a, const Value& b);

// "undefined", "null", "boolean", "number", "string", "array", "object",
// "function": $type's answer.
std::string_view TypeName(Type t);

// UTF-8 helpers: JSONata counts characters (code points), not bytes.
size_t CodePointCount(std::string_view s);
// The bytes of code points [start, start+length) (clamped).
std::string_view CodePointSubstr(std::string_view s, size_t start, size_t length);
// Splits into code points.
std::vector<std::string_view> CodePoints(std::string_view s);

// JavaScript's ordering of strings (`<`, $sort, order-by): by UTF-16 code
// units, which differs from code point order only where a character past
// U+FFFF meets one in U+E000..U+FFFF. Negative, zero or positive.
int CompareStrings(std::string_view a, std::string_view b);

}  // namespace stepd::asl::jsonata
