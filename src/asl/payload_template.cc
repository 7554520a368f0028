#include "stepd/asl/payload_template.h"

#include <utility>
#include <variant>
#include <vector>

#include "stepd/asl/intrinsics.h"
#include "stepd/asl/path_expr.h"

namespace stepd::asl {

namespace payload_template_internal {

struct Node {
  enum class Kind { kLiteral, kObject, kArray };
  struct Field {
    std::string key;           // output key ("x" for "x.$")
    std::string template_key;  // as written in the definition ("x.$"), for causes
    std::variant<std::unique_ptr<Node>, PathExpr, IntrinsicCall> value;
  };

  Kind kind = Kind::kLiteral;
  Json literal;               // kLiteral
  std::vector<Field> fields;  // kObject
  std::vector<Node> items;    // kArray
};

}  // namespace payload_template_internal

namespace {

using payload_template_internal::Node;

constexpr std::string_view kDynamicSuffix = ".$";

bool IsDynamicKey(std::string_view key) {
  return key.size() >= kDynamicSuffix.size() &&
         key.substr(key.size() - kDynamicSuffix.size()) == kDynamicSuffix;
}

bool HasDynamicKey(const Json& value) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (IsDynamicKey(it.key()) || HasDynamicKey(it.value())) return true;
    }
  } else if (value.is_array()) {
    for (const Json& item : value) {
      if (HasDynamicKey(item)) return true;
    }
  }
  return false;
}

// Escapes a key for use as a JSON pointer token (RFC 6901).
std::string PointerToken(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

class Compiler {
 public:
  explicit Compiler(Diagnostics* diagnostics) : errors_(diagnostics) {}

  Node Compile(const Json& value, const std::string& location) {
    Node node;
    if (!HasDynamicKey(value)) {
      node.literal = value;
      return node;
    }
    if (value.is_array()) {
      node.kind = Node::Kind::kArray;
      for (size_t i = 0; i < value.size(); ++i) {
        node.items.push_back(Compile(value[i], location + "/" + std::to_string(i)));
      }
      return node;
    }
    node.kind = Node::Kind::kObject;
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string& template_key = it.key();
      Node::Field field;
      field.template_key = template_key;
      field.key = template_key;
      if (IsDynamicKey(template_key)) {
        field.key.resize(template_key.size() - kDynamicSuffix.size());
        if (value.contains(field.key)) {
          Report("The field '" + field.key + "' and the field '" + template_key +
                     "' cannot both be present",
                 location);
          continue;
        }
      }
      if (IsDynamicKey(template_key)) {
        std::optional<std::variant<std::unique_ptr<Node>, PathExpr, IntrinsicCall>> dynamic =
            CompileDynamic(template_key, it.value(), location);
        if (!dynamic.has_value()) continue;
        field.value = std::move(*dynamic);
      } else {
        field.value = std::make_unique<Node>(
            Compile(it.value(), location + "/" + PointerToken(template_key)));
      }
      node.fields.push_back(std::move(field));
    }
    return node;
  }

  bool failed() const { return errors_.failed(); }
  const std::string& first_error() const { return errors_.first_error(); }

 private:
  std::optional<std::variant<std::unique_ptr<Node>, PathExpr, IntrinsicCall>> CompileDynamic(
      const std::string& template_key, const Json& value, const std::string& location) {
    if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      if (!text.empty() && text[0] == '$') {
        auto path = PathExpr::Parse(text);
        if (path.ok()) return std::move(path).value();
      } else if (LooksLikeIntrinsic(text)) {
        auto call = IntrinsicCall::Parse(text);
        if (call.ok()) return std::move(call).value();
      }
    }
    Report("The value for the field '" + template_key +
               "' must be a valid JSONPath or a valid intrinsic function call",
           location);
    return std::nullopt;
  }

  void Report(std::string message, const std::string& location) {
    errors_.Report(std::move(message), location);
  }

  SchemaErrorCollector errors_;
};

AslError PathNotFound(const Node::Field& field, const PathExpr& path, const EvalScope& scope) {
  return AslError::Of(StatesError::kRuntime,
                      "The JSONPath '" + path.text() + "' specified for the field '" +
                          field.template_key + "' could not be found in the input '" +
                          (scope.input != nullptr
                               ? scope.input->dump(-1, ' ', false, Json::error_handler_t::replace)
                               : std::string("null")) +
                          "'");
}

AslResult<Json> EvaluateNode(const Node& node, const EvalScope& scope) {
  switch (node.kind) {
    case Node::Kind::kLiteral:
      return node.literal;
    case Node::Kind::kArray: {
      Json out = Json::array();
      out.get_ref<Json::array_t&>().reserve(node.items.size());
      for (const Node& item : node.items) {
        STEPD_ASL_ASSIGN_OR_RETURN(Json value, EvaluateNode(item, scope));
        out.push_back(std::move(value));
      }
      return out;
    }
    case Node::Kind::kObject:
      break;
  }
  Json out = Json::object();
  // Keys are unique by construction (checked at compile time), so fields are
  // appended without ordered_map's per-insert key search.
  Json::object_t::Container& fields = out.get_ref<Json::object_t&>();
  fields.reserve(node.fields.size());
  for (const Node::Field& field : node.fields) {
    if (const auto* nested = std::get_if<std::unique_ptr<Node>>(&field.value)) {
      STEPD_ASL_ASSIGN_OR_RETURN(Json value, EvaluateNode(**nested, scope));
      fields.emplace_back(field.key, std::move(value));
    } else if (const auto* path = std::get_if<PathExpr>(&field.value)) {
      if (path->IsDefinite()) {
        const Json* value = path->Find(scope);
        if (value == nullptr) return PathNotFound(field, *path, scope);
        fields.emplace_back(field.key, *value);
      } else {
        std::optional<Json> matches = path->Evaluate(scope);
        if (!matches.has_value()) return PathNotFound(field, *path, scope);
        fields.emplace_back(field.key, std::move(*matches));
      }
    } else {
      STEPD_ASL_ASSIGN_OR_RETURN(Json value, std::get<IntrinsicCall>(field.value).Evaluate(scope));
      fields.emplace_back(field.key, std::move(value));
    }
  }
  return out;
}

}  // namespace

StatusOr<PayloadTemplate> PayloadTemplate::Compile(const Json& tmpl, std::string_view location,
                                                   Diagnostics* diagnostics) {
  Compiler compiler(diagnostics);
  Node root = compiler.Compile(tmpl, std::string(location));
  if (compiler.failed()) return InvalidArgumentError(compiler.first_error());
  return PayloadTemplate(std::make_shared<const Node>(std::move(root)));
}

PayloadTemplate::PayloadTemplate(std::shared_ptr<const Node> root) : root_(std::move(root)) {}

PayloadTemplate::~PayloadTemplate() = default;

AslResult<Json> PayloadTemplate::Evaluate(const EvalScope& scope) const {
  return EvaluateNode(*root_, scope);
}

bool PayloadTemplate::IsLiteral() const { return root_->kind == Node::Kind::kLiteral; }

}  // namespace stepd::asl
