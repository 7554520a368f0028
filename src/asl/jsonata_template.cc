#include "stepd/asl/jsonata_template.h"

#include <cmath>
#include <random>

#include "intrinsics_internal.h"

namespace stepd::asl {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// `$states` and the workflow variables, as JSONata sees them. `$states` is
// built on first use only.
class ScopeVariables final : public JsonataVariables {
 public:
  explicit ScopeVariables(const JsonataScope& scope) : scope_(scope) {}

  const Json* Find(std::string_view name) const override {
    return scope_.variables && name != "states" ? scope_.variables->Find(name) : nullptr;
  }

  bool FindMembers(std::string_view name,
                   std::vector<std::pair<std::string_view, const Json*>>* members) const override {
    if (name != "states") return false;
    if (scope_.input) members->emplace_back("input", scope_.input);
    if (scope_.result) members->emplace_back("result", scope_.result);
    if (scope_.error_output) members->emplace_back("errorOutput", scope_.error_output);
    if (scope_.context) members->emplace_back("context", scope_.context);
    return true;
  }

 private:
  const JsonataScope& scope_;
};

void Collect(const Json& v, Json::json_pointer where, const std::string& field,
             std::vector<std::pair<Json::json_pointer, std::string>>* out) {
  if (v.is_string()) {
    if (IsJsonataExpression(v.get_ref<const std::string&>())) out->emplace_back(where, field);
  } else if (v.is_object()) {
    for (const auto& [k, e] : v.items()) Collect(e, where / k, field + "/" + k, out);
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      Collect(v[i], where / i, field + "/" + std::to_string(i), out);
    }
  }
}

JsonataResult Failed(std::string message) {
  JsonataResult r;
  r.error = JsonataError{"", std::move(message), -1, ""};
  return r;
}

JsonataResult Value(Json v) {
  JsonataResult r;
  r.value = std::move(v);
  return r;
}

// Runs an intrinsic's implementation on JSONata arguments.
JsonataResult Intrinsic(IntrinsicFunction f, std::string_view name,
                        const std::vector<std::optional<Json>>& args) {
  intrinsics_internal::Node node;
  node.function = f;
  std::vector<const Json*> ptrs;
  for (const auto& a : args) {
    if (!a) return Failed("Invalid arguments in $" + std::string(name) + ": an argument is undefined");
    ptrs.push_back(&*a);
  }
  AslResult<Json> r = intrinsics_internal::Invoke(node, ptrs);
  if (!r.ok()) return Failed("Invalid arguments in $" + std::string(name));
  return Value(std::move(r).value());
}

std::mt19937_64& Engine() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

}  // namespace

bool IsJsonataExpression(std::string_view text) {
  return text.size() >= 4 && text.substr(0, 2) == "{%" && text.substr(text.size() - 2) == "%}";
}

std::string_view JsonTypeWord(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return "number";
  }
}

bool JsonataTemplate::Compile(const Json& value, std::string field, const std::string& location,
                              Diagnostics* diagnostics, JsonataTemplate* out) {
  JsonataTemplate t;
  t.value_ = value;
  t.field_ = field;
  std::vector<std::pair<Json::json_pointer, std::string>> found;
  Collect(value, Json::json_pointer(), field, &found);
  bool ok = true;
  for (auto& [where, slot_field] : found) {
    const std::string& s = value.at(where).get_ref<const std::string&>();
    std::string text(Trim(std::string_view(s).substr(2, s.size() - 4)));
    auto compiled = Jsonata::Compile(text);
    if (auto* e = std::get_if<JsonataError>(&compiled)) {
      const std::string loc = location + where.to_string();
      diagnostics->push_back(Diagnostic{
          "SCHEMA_VALIDATION_FAILED",
          "The value for the field '" + slot_field + "' must be a valid JSONata expression (" +
              e->code + ": " + e->message + ")",
          Severity::kError, loc});
      ok = false;
      continue;
    }
    t.slots_.push_back(
        Slot{where, slot_field, std::move(text), std::get<Jsonata>(std::move(compiled))});
  }
  t.whole_ = value.is_string() && !t.slots_.empty();
  if (ok) *out = std::move(t);
  return ok;
}

const std::string& JsonataTemplate::expression_text() const {
  static const std::string kEmpty;
  return whole_ ? slots_.front().text : kEmpty;
}

std::variant<Json, JsonataFailure> JsonataTemplate::Evaluate(const JsonataScope& scope) const {
  if (slots_.empty()) return value_;
  ScopeVariables variables(scope);
  JsonataVariableCache cache;  // $states is converted once for all the expressions
  static const std::map<std::string, Json> kNoBindings;
  JsonataOptions options;
  // Far above any payload AWS takes (256 KiB), so that only a result no
  // state could pass on is refused, before it costs its conversion.
  options.max_result_bytes = kMaxJsonataResultBytes;
  Json out = whole_ ? Json() : value_;
  for (const Slot& slot : slots_) {
    JsonataResult r = slot.expression.Evaluate(nullptr, variables, kNoBindings,
                                               StepFunctionsJsonataFunctions(), options, &cache);
    if (r.error) {
      std::string what = r.error->code.empty() ? r.error->message
                                               : r.error->code + ": " + r.error->message;
      return JsonataFailure{
          AslError::Of(r.error->code == "U1006" ? StatesError::kDataLimitExceeded
                                                : StatesError::kQueryEvaluationError,
                       "The JSONata expression '" + slot.text + "' specified for the field '" +
                           slot.field + "' threw an error during evaluation. " + what),
          slot.field};
    }
    if (!r.value) {
      return JsonataFailure{
          AslError::Of(StatesError::kQueryEvaluationError,
                       "The JSONata expression '" + slot.text + "' specified for the field '" +
                           slot.field + "' returned nothing (undefined)."),
          slot.field};
    }
    if (whole_) return std::move(*r.value);
    out[slot.where] = std::move(*r.value);
  }
  return out;
}

JsonataFailure JsonataTemplate::UnexpectedType(std::string_view expected,
                                               const Json& value) const {
  const std::string text = whole_ ? slots_.front().text : value_.dump();
  return JsonataFailure{
      AslError::Of(StatesError::kQueryEvaluationError,
                   "The JSONata expression '" + text + "' specified for the field '" + field_ +
                       "' returned an unexpected result type. Expected '" +
                       std::string(expected) + "', but was '" + std::string(JsonTypeWord(value)) +
                       "' for value: " + value.dump()),
      field_};
}

const std::map<std::string, JsonataFunction>& StepFunctionsJsonataFunctions() {
  static const auto* kFunctions = new std::map<std::string, JsonataFunction>{
      {"partition",
       {"<an:a>",
        [](const std::vector<std::optional<Json>>& a) {
          return Intrinsic(IntrinsicFunction::kArrayPartition, "partition", a);
        }}},
      {"range",
       {"<nnn:a>",
        [](const std::vector<std::optional<Json>>& a) {
          return Intrinsic(IntrinsicFunction::kArrayRange, "range", a);
        }}},
      {"hash",
       {"<ss:s>",
        [](const std::vector<std::optional<Json>>& a) {
          return Intrinsic(IntrinsicFunction::kHash, "hash", a);
        }}},
      {"uuid",
       {"<:s>",
        [](const std::vector<std::optional<Json>>& a) {
          return Intrinsic(IntrinsicFunction::kUuid, "uuid", a);
        }}},
      {"random",
       {"<n?:n>",
        [](const std::vector<std::optional<Json>>& a) {
          std::uniform_real_distribution<double> unit(0.0, 1.0);
          if (!a.empty() && a[0]) {
            // Seeded: the same seed gives the same number, on every run.
            const double seed = a[0]->get<double>();
            std::mt19937_64 engine(static_cast<uint64_t>(static_cast<int64_t>(std::trunc(seed))));
            return Value(unit(engine));
          }
          return Value(unit(Engine()));
        }}},
      {"parse",
       {"<s:j>",
        [](const std::vector<std::optional<Json>>& a) {
          if (a.empty() || !a[0]) return JsonataResult{};
          auto parsed = ParseJson(a[0]->get_ref<const std::string&>());
          if (!parsed.ok()) return Failed("$parse: the argument is not valid JSON text");
          return Value(std::move(parsed).value());
        }}},
  };
  return *kFunctions;
}

}  // namespace stepd::asl
