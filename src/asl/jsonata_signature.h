#pragma once
// Private to src/asl/jsonata_*.cc: function signatures ("<s-nn?:s>"), as
// jsonata-js defines them, parsed once and checked at every call.
//
// Type symbols: b boolean, n number, s string, l null, a array, o object,
// f function, j any JSON value, x anything, u one of b n s l; (ab) a
// choice; a<n> an array of numbers, f<s:o> a function (its own signature is
// not checked). Modifiers: ? optional, + one or more, - the context value
// when the argument is missing.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jsonata_value.h"

namespace stepd::asl::jsonata {

class Signature {
 public:
  // Throws Error S0401/S0402 on a malformed signature.
  static std::shared_ptr<const Signature> Parse(std::string_view text);

  // Checks `args` (undefined values for missing ones) against the
  // parameters and returns them ready for the call: the context inserted for
  // a `-` parameter whose argument is missing, non-arrays wrapped for `a`
  // parameters. Throws T0410 (an argument does not match), T0411 (the context
  // does not match), T0412 (an array item is not of the declared type).
  // `name` is the function's name, for the error's token.
  std::vector<Value> Validate(const std::vector<Value>& args, const Value& context,
                              std::string_view name) const;

  // The number of declared parameters.
  size_t param_count() const { return params_.size(); }
  const std::string& text() const { return text_; }

 private:
  struct Param {
    std::string types;  // accepted symbols, e.g. "n" or "sao"
    char subtype = 0;   // a<n>: 'n'
    bool optional = false;
    bool one_or_more = false;
    bool context = false;
    bool is_array = false;  // declared `a` (wraps non-arrays)
  };
  bool Match(const std::vector<char>& symbols, size_t si, size_t pi,
             std::vector<std::pair<size_t, size_t>>* spans) const;

  std::string text_;
  std::vector<Param> params_;
};

// The type symbol of a value: b n s l a o f, 'm' for undefined.
char TypeSymbol(const Value& v);

}  // namespace stepd::asl::jsonata
