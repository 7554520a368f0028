#pragma once
// A compiled JSONPath, evaluated as Step Functions does (Jayway JSONPath
// semantics): parse once at Compile time, evaluate any number of times
// without re-parsing. Immutable after Parse; any thread may evaluate.
//
// Grammar (text starts with '$'):
//   $                      the root
//   .name  ['name'] ["n"]  a member (dot names stop at '.', '[', whitespace)
//   [0] [-1]               an array index (negative counts from the end)
//   [start:end:step]       a slice (any part may be omitted)
//   [0,2] ['a','b']        a union of indexes or of names
//   .* [*]                 every member / element
//   ..name ..* ..[0]       deep scan: the step applied at every depth
//   [?(<filter>)]          elements (or member values) for which the filter holds:
//       operands @, @.a.b, @['a'][0], $.x (the root), 'str', "str", 12, -1.5,
//       true, false, null; operators == != < <= > >= (and =~ /regex/),
//       && || ! and parentheses; a bare operand tests existence.
//   .length() .size() .min() .max() .avg() .stddev() .sum() .keys() .first() .last()
//                          Jayway's functions, only at the end of a path (or of
//                          a filter operand): applied to the array a definite
//                          path selects, or to all matches of an indefinite one.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/asl/errors.h"
#include "stepd/base/json.h"
#include "stepd/base/status_or.h"

namespace stepd::asl {

namespace json_path_internal {
struct Segment;  // src/asl/json_path_internal.h
}

class JsonPath {
 public:
  // INVALID_ARGUMENT with a message naming the problem and its position when
  // `text` is not a JSONPath (e.g. does not start with '$').
  static StatusOr<JsonPath> Parse(std::string_view text);

  JsonPath(const JsonPath&) = default;
  JsonPath(JsonPath&&) noexcept = default;
  JsonPath& operator=(const JsonPath&) = default;
  JsonPath& operator=(JsonPath&&) noexcept = default;
  ~JsonPath();

  // The text as written.
  const std::string& text() const { return text_; }
  // True for "$" alone.
  bool IsRoot() const;
  // Selects at most one node: only member names and (non-negative or
  // negative) single indexes, no wildcard/slice/union/filter/deep scan/function.
  // This is what ASL calls a "reference path".
  bool IsDefinite() const;

  // Definite: a copy of the selected node, or nullopt when absent.
  // Indefinite: an array of every match in document order (possibly empty);
  // never nullopt. Two Jayway exceptions: a path ending in a name union after
  // a definite prefix ("$.a['x','y']") gives one object of the members present,
  // and a path ending in a function gives the function's value (nullopt when
  // it has no input, e.g. max() of no numbers).
  std::optional<Json> Evaluate(const Json& root) const;

  // Definite paths only: the selected node inside `root` (borrowed, valid as
  // long as `root` is unchanged), or nullptr when absent. For an indefinite
  // path always nullptr.
  const Json* Find(const Json& root) const;

  // Definite paths only (ResultPath): `root` with `value` placed at the path,
  // creating intermediate objects where members are missing; "$" replaces the
  // whole root. Fails with States.ResultPathMatchFailure, as AWS does, when
  // the path crosses a value that is not an object (or an index is out of
  // range / applied to a non-array). The cause is AWS's:
  //   "Unable to apply ResultPath \"$.a.b\" to input \"<input JSON>\""
  AslResult<Json> AssignAt(Json root, Json value) const;

  // Jayway's normalised rendering used in AWS messages:
  //   "$.a.b[0]" -> "$['a']['b'][0]"
  std::string Normalized() const;

 private:
  JsonPath() = default;

  std::string text_;
  std::shared_ptr<const std::vector<json_path_internal::Segment>> segments_;
  bool definite_ = true;
};

}  // namespace stepd::asl
