#pragma once
// The parsed form of a JsonPath (json_path.h): a list of segments, each a
// selector applied to every node the previous segments selected.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace stepd::asl::json_path_internal {

struct Filter;  // a [?(...)] expression, defined in json_path.cc

struct Segment {
  enum class Kind {
    kName,      // .a  ['a']
    kIndex,     // [0] [-1]
    kWildcard,  // .*  [*]
    kSlice,     // [start:end:step]
    kNames,     // ['a','b']
    kIndexes,   // [0,2]
    kFilter,    // [?(...)]
    kFunction,  // .length() .min() ...: only as the last segment
  };
  Kind kind = Kind::kName;
  bool deep = false;  // preceded by '..': applied at every depth
  std::string name;   // kName; kFunction: the function's name
  int64_t index = 0;
  std::vector<std::string> names;
  std::vector<int64_t> indexes;
  std::optional<int64_t> start;
  std::optional<int64_t> end;
  int64_t step = 1;
  std::shared_ptr<const Filter> filter;
};

}  // namespace stepd::asl::json_path_internal
