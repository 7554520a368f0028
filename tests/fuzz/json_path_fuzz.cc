// JSONPath (and reference paths) on arbitrary text: the text before a NUL
// byte is the path, the rest the document it selects from (a fixed one when the rest is
// not JSON).

#include "fuzz_target.h"
#include "stepd/asl/json_path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stepd;
  const auto [path_text, doc_text] = fuzz::SplitAtNul(fuzz::AsText(data, size));
  auto path = asl::JsonPath::Parse(path_text);
  if (!path.ok()) {
    fuzz::Check(!path.status().message().empty(), "a refused path says why");
    return 0;
  }
  static const Json kDocument = Json::parse(
      R"({"store":{"book":[{"title":"a","price":8.95,"tags":["x"]},{"title":"b","price":12}],
          "bicycle":{"color":"red","price":19.95}},"list":[3,1,2],"empty":{},"s":"text"})");
  const std::optional<Json> doc = fuzz::JsonOrNothing(doc_text);
  const Json& root = doc ? *doc : kDocument;
  const std::optional<Json> selected = path->Evaluate(root);
  if (path->IsDefinite()) {
    const Json* found = path->Find(root);
    fuzz::Check((found != nullptr) == selected.has_value(), "Find agrees with Evaluate");
    if (found) fuzz::Check(*found == *selected, "Find selects what Evaluate copies");
  } else {
    fuzz::Check(selected.has_value() || path->text().find('(') != std::string::npos,
                "an indefinite path gives an array unless it ends in a function");
  }
  return 0;
}
