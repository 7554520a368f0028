#pragma once
// JSONata (https://docs.jsonata.org), the query language of ASL's
// `"QueryLanguage": "JSONata"`, in native C++.
//
// An expression is parsed once (Jsonata::Compile) into an immutable tree and
// evaluated many times, from any number of threads at once. Evaluation is
// pure: no I/O; `$now()` and `$millis()` read the clock given in the options.
// Every evaluation is bounded by a depth limit (nested evaluation, so deep
// recursion ends with an error, not a crashed worker) and a time limit.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "stepd/base/json.h"

namespace stepd::asl {

namespace jsonata {
struct Node;
struct LazyVariables;
class Value;
}

// An error from compiling or evaluating, with jsonata-js' code ("S0201",
// "T2001", "D3030", ...; U1001 depth limit, U1002 time limit), the position
// (a character offset into the expression, -1 when unknown) and the
// offending token (may be empty).
struct JsonataError {
  std::string code;
  std::string message;
  int position = -1;
  std::string token;

  // {"code":..., "message":..., "position":..., "token":...} (position and
  // token left out when unknown).
  Json ToJson() const;
};

struct JsonataOptions {
  // Nested evaluation deeper than this fails with U1001 (jsonata-js' harness
  // calls the same limit "depth"). Each level costs a few hundred bytes of the
  // calling thread's stack.
  int max_depth = 1000;
  // Evaluation running longer than this fails with U1002; 0: no limit.
  int64_t time_limit_ms = 10'000;
  // A result whose JSON text would pass this many bytes fails with U1006
  // before it is converted (a range alone may make 10,000,000 items); 0: no
  // limit.
  size_t max_result_bytes = 0;
  // The clock of $now() and $millis(): milliseconds since the epoch. Unset:
  // the system clock. Read once per evaluation (all $now() in one evaluation
  // agree, as in jsonata-js).
  std::function<int64_t()> now_ms;
};

// The outcome of an evaluation: a value, undefined (no value: `value` empty
// and no error), or an error.
struct JsonataResult {
  std::optional<Json> value;
  std::optional<JsonataError> error;

  bool ok() const { return !error.has_value(); }
  bool undefined() const { return !error && !value; }
};

// Extra functions callable from expressions (ASL adds $partition, $range,
// $hash, $random, $uuid, $parse): each receives its evaluated arguments
// (undefined arguments as std::nullopt) and returns a value, nullopt for
// undefined, or an error. `signature` is a JSONata signature
// ("<n-n?:a>") checked before the call; empty: no check.
struct JsonataFunction {
  std::string signature;
  std::function<JsonataResult(const std::vector<std::optional<Json>>& args)> call;
};

// Variables resolved on demand (ASL's workflow variables and `$states`):
// consulted for a `$name` the expression did not bind itself and the caller's
// bindings do not hold, before the built-in functions. Each name is asked at
// most once per evaluation; the pointer must stay valid until it ends.
class JsonataVariables {
 public:
  virtual ~JsonataVariables() = default;
  // The value of `$name` (name without the `$`), or nullptr when unbound.
  virtual const Json* Find(std::string_view name) const = 0;
  // An object variable whose members live apart (ASL's `$states`: the
  // input, the result, the context object): fills `members` (each borrowed)
  // and returns true; the object is then built from them without a copy of
  // each first. False: `name` is not such a variable (Find is asked).
  virtual bool FindMembers(std::string_view name,
                           std::vector<std::pair<std::string_view, const Json*>>* members) const {
    (void)name;
    (void)members;
    return false;
  }
};

// Variable values (and extra functions) already converted for evaluation,
// kept from one evaluation to the next: the expressions of one ASL state
// read the same `$states`, which is then converted once, not once per
// expression. Valid for one JsonataVariables object and one functions map;
// use one cache per thread.
class JsonataVariableCache {
 public:
  JsonataVariableCache();
  ~JsonataVariableCache();
  JsonataVariableCache(const JsonataVariableCache&) = delete;
  JsonataVariableCache& operator=(const JsonataVariableCache&) = delete;

 private:
  friend class Jsonata;
  std::unique_ptr<jsonata::LazyVariables> impl_;
};

// A JSON document converted once into the evaluator's own values: evaluating
// many expressions, or one many times, over the same data then skips the
// conversion, which for a large document costs more than most expressions.
// Evaluations only read it; use it from one thread at a time.
class JsonataInput {
 public:
  explicit JsonataInput(const Json& document);
  ~JsonataInput();
  JsonataInput(JsonataInput&&) noexcept;
  JsonataInput& operator=(JsonataInput&&) noexcept;

 private:
  friend class Jsonata;
  std::unique_ptr<jsonata::Value> value_;
};

class Jsonata {
 public:
  // Parses `text`. Syntax errors (S0xxx) come back as the error.
  static std::variant<Jsonata, JsonataError> Compile(std::string_view text);

  // Evaluates against `input` (nullptr: undefined input) with variables
  // `bindings` ($name -> value, names without the `$`) and extra functions.
  JsonataResult Evaluate(const Json* input, const std::map<std::string, Json>& bindings = {},
                         const std::map<std::string, JsonataFunction>& functions = {},
                         const JsonataOptions& options = {}) const;
  // The same over a prepared document.
  JsonataResult Evaluate(const JsonataInput& input,
                         const std::map<std::string, Json>& bindings = {},
                         const std::map<std::string, JsonataFunction>& functions = {},
                         const JsonataOptions& options = {}) const;
  // The same, with `variables` consulted for names not in `bindings`.
  // `cache` (optional) keeps converted values for the next evaluation with
  // the same `variables` and `functions`.
  JsonataResult Evaluate(const Json* input, const JsonataVariables& variables,
                         const std::map<std::string, Json>& bindings,
                         const std::map<std::string, JsonataFunction>& functions,
                         const JsonataOptions& options,
                         JsonataVariableCache* cache = nullptr) const;

  const std::string& text() const { return text_; }

 private:
  JsonataResult EvaluateWith(const Json* input, const jsonata::Value* prepared,
                             const JsonataVariables* variables,
                             const std::map<std::string, Json>& bindings,
                             const std::map<std::string, JsonataFunction>& functions,
                             const JsonataOptions& options, JsonataVariableCache* cache) const;
  Jsonata(std::string text, std::shared_ptr<const jsonata::Node> root)
      : text_(std::move(text)), root_(std::move(root)) {}

  std::string text_;
  std::shared_ptr<const jsonata::Node> root_;
};

}  // namespace stepd::asl
