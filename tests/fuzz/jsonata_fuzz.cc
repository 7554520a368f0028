// The JSONata parser and evaluator on arbitrary text: the text before a NUL
// byte is the expression, the rest the input document (none when the rest is not JSON).
// Evaluation is bounded as in the server (depth 1000, results up to a size)
// with a 200 ms time limit, so an expression that loops ends with U1002
// rather than as a fuzzer timeout.

#include <map>
#include <string>

#include "fuzz_target.h"
#include "stepd/asl/jsonata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stepd;
  const auto [expression, input_text] = fuzz::SplitAtNul(fuzz::AsText(data, size));
  auto compiled = asl::Jsonata::Compile(expression);
  if (std::holds_alternative<asl::JsonataError>(compiled)) {
    const asl::JsonataError& e = std::get<asl::JsonataError>(compiled);
    fuzz::Check(!e.code.empty() && !e.message.empty(), "a refused expression says why");
    return 0;
  }
  const asl::Jsonata& e = std::get<asl::Jsonata>(compiled);
  const std::optional<Json> input = fuzz::JsonOrNothing(input_text);
  static const std::map<std::string, Json> kBindings = {
      {"x", 1}, {"s", "text"}, {"list", Json::parse("[3,1,2]")}};
  asl::JsonataOptions options;
  options.time_limit_ms = 200;
  options.max_result_bytes = 1 << 20;
  options.now_ms = [] { return int64_t{1'700'000'000'000}; };
  asl::JsonataResult r = e.Evaluate(input ? &*input : nullptr, kBindings, {}, options);
  fuzz::Check(!(r.error && r.value), "a value or an error, not both");
  if (r.error) fuzz::Check(!r.error->code.empty(), "an error has a code");
  // Writing the result as text, as the server does before its payload check.
  if (r.value) {
    std::string text;
    AppendJsonText(*r.value, &text);
  }
  return 0;
}
