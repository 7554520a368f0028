// Intrinsic functions (States.Format, States.StringToJson, ...) on arbitrary
// text: the text before a NUL byte is the call,
// the rest the state input its paths read
// (a fixed one when the rest is not JSON). Context and variables are fixed.

#include <string>

#include "fuzz_target.h"
#include "stepd/asl/eval_scope.h"
#include "stepd/asl/intrinsics.h"

namespace {

class FixedVariables final : public stepd::asl::VariableLookup {
 public:
  const stepd::Json* Find(std::string_view name) const override {
    static const stepd::Json kValues =
        stepd::Json::parse(R"({"x":1,"list":[1,"a",null,[2]],"obj":{"k":"v"},"s":"a,b"})");
    auto it = kValues.find(name);
    return it == kValues.end() ? nullptr : &*it;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stepd;
  const auto [call_text, input_text] = fuzz::SplitAtNul(fuzz::AsText(data, size));
  auto call = asl::IntrinsicCall::Parse(call_text);
  if (!call.ok()) {
    fuzz::Check(!call.status().message().empty(), "a refused call says why");
    return 0;
  }
  fuzz::Check(call->text() == call_text, "the call keeps its text");
  static const Json kInput = Json::parse(
      R"({"name":"stepd","n":3,"list":[1,2,3,2],"json":"{\"a\":[1]}","b64":"aGk=","obj":{"a":{"b":1}}})");
  static const Json kContext =
      Json::parse(R"({"Execution":{"Id":"arn:x","Input":{}},"State":{"Name":"S"}})");
  const std::optional<Json> input = fuzz::JsonOrNothing(input_text);
  FixedVariables variables;
  asl::EvalScope scope{input ? &*input : &kInput, &kContext, &variables};
  auto result = call->Evaluate(scope);
  if (result.ok()) {
    std::string text;
    AppendJsonText(result.value(), &text);  // every result prints
  }
  return 0;
}
