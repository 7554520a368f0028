#include "stepd/asl/state_paths.h"

namespace stepd::asl {

bool SelectPath::Compile(const Json* field, std::string_view field_name, std::string_view location,
                         Diagnostics* diagnostics, SelectPath* out) {
  *out = SelectPath();
  if (field == nullptr) return true;
  if (field->is_null()) {
    out->kind_ = Kind::kNull;
    out->text_.clear();
    return true;
  }
  auto fail = [&](std::string message) {
    if (diagnostics) {
      diagnostics->push_back(Diagnostic{"SCHEMA_VALIDATION_FAILED", std::move(message),
                                        Severity::kError, std::string(location)});
    }
    return false;
  };
  if (!field->is_string()) {
    return fail("The value for the field '" + std::string(field_name) + "' must be a STRING");
  }
  const std::string text = field->get<std::string>();
  auto p = PathExpr::Parse(text);
  if (!p.ok()) {
    return fail("The value for the field '" + std::string(field_name) +
                "' must be a valid JSONPath");
  }
  out->text_ = text;
  if (p.value().root() == PathExpr::Root::kInput && p.value().path().IsRoot()) {
    out->kind_ = Kind::kIdentity;
    return true;
  }
  out->kind_ = Kind::kPath;
  out->path_ = std::move(p).value();
  return true;
}

AslResult<Json> SelectPath::Apply(Json value, const EvalScope& scope) const {
  switch (kind_) {
    case Kind::kIdentity:
      return value;
    case Kind::kNull:
      return Json::object();
    case Kind::kPath:
      break;
  }
  EvalScope s = scope;
  s.input = &value;
  std::optional<Json> r = path_->Evaluate(s);
  if (!r) {
    return AslError::Of(
        StatesError::kRuntime,
        "Invalid path '" + text_ + "' : No results for path: " + NormalizedPathForMessage(text_));
  }
  return std::move(*r);
}

bool ResultPath::Compile(const Json* field, std::string_view location, Diagnostics* diagnostics,
                         ResultPath* out) {
  *out = ResultPath();
  if (field == nullptr) return true;
  if (field->is_null()) {
    out->kind_ = Kind::kDiscard;
    out->text_.clear();
    return true;
  }
  auto fail = [&](std::string message) {
    if (diagnostics) {
      diagnostics->push_back(Diagnostic{"SCHEMA_VALIDATION_FAILED", std::move(message),
                                        Severity::kError, std::string(location)});
    }
    return false;
  };
  if (!field->is_string()) return fail("The value for the field 'ResultPath' must be a STRING");
  const std::string text = field->get<std::string>();
  auto p = JsonPath::Parse(text);
  if (!p.ok() || !p.value().IsDefinite()) {
    return fail("The value for the field 'ResultPath' must be a valid ReferencePath");
  }
  out->text_ = text;
  if (p.value().IsRoot()) {
    out->kind_ = Kind::kReplace;
    return true;
  }
  out->kind_ = Kind::kPath;
  out->path_ = std::move(p).value();
  return true;
}

AslResult<Json> ResultPath::Apply(Json raw_input, Json result) const {
  switch (kind_) {
    case Kind::kReplace:
      return result;
    case Kind::kDiscard:
      return raw_input;
    case Kind::kPath:
      break;
  }
  return path_->AssignAt(std::move(raw_input), std::move(result));
}

std::string NormalizedPathForMessage(std::string_view path) {
  auto p = PathExpr::Parse(path);
  if (!p.ok()) return std::string(path);
  return p.value().path().Normalized();
}

}  // namespace stepd::asl
