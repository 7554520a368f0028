#pragma once
// Private to src/asl/jsonata_*.cc: JSONata's built-in functions ($sum,
// $string, $map, ...), as functions of their evaluated arguments.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jsonata_error.h"
#include "jsonata_regex.h"
#include "jsonata_value.h"

namespace stepd::asl::jsonata {

// What a built-in sees of the evaluation that called it. Implemented by the
// evaluator; one per call, valid only during the call.
class CallContext {
 public:
  virtual ~CallContext() = default;
  // Calls a function value (a lambda, a built-in, a partial application, a
  // regex) with `args`. Errors propagate as thrown Error.
  virtual Value Apply(const Value& fn, std::vector<Value> args) = 0;
  // The context value (focus) at the call: what `$` was.
  virtual const Value& input() const = 0;
  // $eval: parses and evaluates `expr` against `input` in the caller's
  // environment (its variables and functions).
  virtual Value Eval(const std::string& expr, const Value& input) = 0;
  // Milliseconds since the epoch, the same all through one evaluation.
  virtual double NowMillis() = 0;
  // A uniformly distributed number in [0, 1).
  virtual double Random() = 0;
  // Throws U1002 when the evaluation ran past its time limit; long loops in
  // built-ins call it every few thousand iterations.
  virtual void CheckLimits() = 0;
};

// A built-in's arguments arrive checked against its signature by the
// evaluator: the context value inserted where the signature has `-` and the
// argument is missing, a non-array wrapped in an array where it expects `a`,
// undefined where an optional argument was not given. `args.size()` is the
// number of arguments given after that (it may be fewer than the
// signature's parameters: treat a missing one as undefined).
// Returns the result (undefined for none) or throws Error with jsonata-js'
// code (e.g. D3030 when $number cannot convert, D3137 from $error).
using BuiltinImpl = Value (*)(CallContext& ctx, std::vector<Value>& args);

struct BuiltinSpec {
  std::string_view name;       // without the `$`
  std::string_view signature;  // jsonata-js' signature, e.g. "<s-nn?:s>"
  BuiltinImpl impl;
  // The built-in's Function::arity(): the number of parameters jsonata-js'
  // implementation declares (its JavaScript function's length), which is
  // what higher-order functions go by, not the signature: $string has two
  // signature parameters but arity 1, so $map(["a"], $string) passes only
  // the value (passing the index too would fail the signature's `b?`).
  size_t arity = 0;
};

// Every jsonata-js 2.x built-in (and $now, $millis), with jsonata-js'
// signatures.
const std::vector<BuiltinSpec>& StandardLibrary();

// A regular expression as a value: what the literal /pattern/flags evaluates
// to (Kind::kRegex). The evaluator makes one per literal and, when a regex is
// applied to arguments, calls Call.
//
// Applied to a string it gives jsonata-js' match object for the first match
// at or after the optional second argument (a character offset, as the
// jsonata-js closure `(str, fromIndex)` takes it), or undefined when there is
// none: {"match": the matched text, "start", "end": character (code point)
// offsets, "groups": the capture groups' texts (undefined for a group that
// did not take part), "next": a function of no arguments giving the
// following match}. `next` is a continuation (a RegexFunction bound to the
// subject and the end of the match, arity 0): it gives undefined once the
// match ended at the end of the subject, and throws D1004 when the following
// match is empty (a pattern matching the empty string would never progress).
// Arity 2, as jsonata-js' closure: $map(["ab"], /b/) passes (value, index).
//
// The built-ins $match, $contains, $replace and $split use regex() directly
// (faster, byte offsets); any other function they get is a custom matcher
// that they apply through CallContext::Apply and whose match objects they
// read the same way (T1010 when it returns something else).
class RegexFunction : public Function {
 public:
  explicit RegexFunction(std::shared_ptr<const Regex> regex);

  Kind kind() const override { return Kind::kRegex; }
  size_t arity() const override { return subject_ ? 0 : 2; }

  const Regex& regex() const { return *regex_; }
  const std::shared_ptr<const Regex>& shared_regex() const { return regex_; }
  // A `next` function rather than the regex itself.
  bool is_continuation() const { return subject_ != nullptr; }

  // The call. `args[0]`: the subject (not a string: undefined); `args[1]`:
  // the character offset to search from (a number; otherwise 0). A
  // continuation ignores `args`. Throws D1004 (see above) and Regex::Exec's
  // U1003 / U1004.
  Value Call(const std::vector<Value>& args) const;

  // The match object of `match` (found in `subject` by `regex`); `start` and
  // `end` are its character offsets.
  static Value MatchObject(const std::shared_ptr<const Regex>& regex,
                           const std::shared_ptr<const std::string>& subject,
                           const Regex::Match& match, size_t start, size_t end);

 private:
  RegexFunction(std::shared_ptr<const Regex> regex, std::shared_ptr<const std::string> subject,
                size_t from, size_t from_chars);

  std::shared_ptr<const Regex> regex_;
  // A continuation's subject, the byte offset of the previous match's end
  // and that offset in characters.
  std::shared_ptr<const std::string> subject_;
  size_t from_ = 0;
  size_t from_chars_ = 0;
};

// $string's rendering of a value (also `&` and string coercion): strings as
// they are, numbers as JSON, non-integers with 15 significant digits
// (jsonata-js 2.x: Number(n.toPrecision(15))), functions as "", other values
// as JSON.stringify writes them (compact, or indented by 2 spaces when
// `pretty`; undefined members left out, undefined items null), an outer
// wrapper as the array it wraps. Non-finite numbers throw D3001 (D1001 inside
// a structure); undefined gives "".
std::string StringOf(const Value& v, bool pretty = false);

// $boolean's truthiness (also predicates, conditions, `and`, `or`): false for
// undefined, null, false, 0, "", empty arrays, empty objects, functions
// (jsonata-js: functions are false), arrays whose items are all false.
bool Truthy(const Value& v);

// Appends `b` to `a` as $append does (either may be undefined; non-arrays
// count as singletons; the result is a plain array, as JavaScript's concat
// makes). The result is a new array when `a` was not one, was shared, or was
// not plain (a sequence, or flagged); otherwise `a` itself grows in place
// (is_unique(): nobody else can see it), so appending in a loop is linear.
Value Append(const Value& a, const Value& b);

}  // namespace stepd::asl::jsonata
