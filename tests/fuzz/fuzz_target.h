// The shape every harness in tests/fuzz/ follows, and helpers they share.
//
// Each `<name>_fuzz.cc` defines LLVMFuzzerTestOneInput, libFuzzer's entry
// point: it feeds the bytes to one parser or evaluator of stepd and returns
// 0. A harness must not crash, leak, hang or trip a sanitizer on any input:
// rejecting the input with an error value is the expected outcome for most.
// It may check invariants of its own (a value that parsed must print and
// parse back to the same thing) and abort when one fails.
//
// The same file links either with libFuzzer (`make fuzz`, a clang build) or
// with standalone_main.cc (`make test`, the AddressSanitizer + UBSan build),
// which replays the seed corpus and the regressions and then runs a few
// thousand deterministic mutations of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <optional>
#include <string_view>
#include <utility>

#include "stepd/base/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace stepd::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Two-part inputs: the text before the first NUL byte, and the rest (e.g. a
// path and the JSON document it runs over). Neither part holds a NUL when it
// is valid: expressions and JSON never do.
inline std::pair<std::string_view, std::string_view> SplitAtNul(std::string_view text) {
  const size_t nul = text.find('\0');
  if (nul == std::string_view::npos) return {text, {}};
  return {text.substr(0, nul), text.substr(nul + 1)};
}

// The JSON document in `text` (ParseJson: nesting bounded as for requests),
// or nullopt when it is not one.
inline std::optional<Json> JsonOrNothing(std::string_view text) {
  auto parsed = ParseJson(text);
  if (!parsed.ok()) return std::nullopt;
  return std::move(parsed).value();
}

// Aborts with `what` when `ok` is false: a broken invariant is a finding.
inline void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace stepd::fuzz
