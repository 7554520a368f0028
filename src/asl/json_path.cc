#include "stepd/asl/json_path.h"

#include <algorithm>
#include <charconv>
#include <cmath>
// GCC 12 reports a false -Wmaybe-uninitialized inside <regex> when
// optimising with sanitizers; the header is not ours to fix.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#include <utility>

#include "json_path_internal.h"

namespace stepd::asl {

namespace json_path_internal {

// An operand of a filter comparison.
struct Operand {
  enum class Kind { kCurrent, kRoot, kLiteral, kRegex };
  Kind kind = Kind::kLiteral;
  std::vector<Segment> path;  // after '@' or '$'
  bool definite = true;
  Json literal;
  std::shared_ptr<const std::regex> regex;
};

struct Filter {
  enum class Op { kOr, kAnd, kNot, kExists, kEq, kNe, kLt, kLe, kGt, kGe, kMatch };
  Op op = Op::kExists;
  std::vector<std::shared_ptr<const Filter>> children;  // kOr, kAnd, kNot
  Operand lhs;
  Operand rhs;
};

}  // namespace json_path_internal

namespace {

using json_path_internal::Filter;
using json_path_internal::Operand;
using json_path_internal::Segment;
using Nodes = std::vector<const Json*>;

bool IsDefiniteSegments(const Segment* begin, const Segment* end) {
  return std::all_of(begin, end, [](const Segment& s) {
    return !s.deep && (s.kind == Segment::Kind::kName || s.kind == Segment::Kind::kIndex);
  });
}

bool IsDefiniteSegments(const std::vector<Segment>& segments) {
  return IsDefiniteSegments(segments.data(), segments.data() + segments.size());
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  StatusOr<std::vector<Segment>> ParsePath() {
    if (text_.empty() || text_[0] != '$') return Error("must start with '$'");
    pos_ = 1;
    std::vector<Segment> segments;
    STEPD_RETURN_IF_ERROR(ParseSegments(&segments, /*in_filter=*/false));
    if (pos_ != text_.size())
      return Error("unexpected character '" + std::string(1, text_[pos_]) + "'");
    return segments;
  }

 private:
  static constexpr int kMaxFilterNesting = 64;

  Status Error(const std::string& what) const {
    return InvalidArgumentError("Invalid JSONPath '" + std::string(text_) + "': " + what +
                                " at position " + std::to_string(pos_));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void SkipSpaces() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r'))
      ++pos_;
  }

  // Segments until the text (or, inside a filter, the operand) ends.
  Status ParseSegments(std::vector<Segment>* out, bool in_filter) {
    while (!AtEnd()) {
      char c = Peek();
      if (c == '.') {
        bool deep = Peek(1) == '.';
        pos_ += deep ? 2 : 1;
        if (deep && Peek() == '[') {
          STEPD_RETURN_IF_ERROR(ParseBracket(out, true));
          continue;
        }
        if (Peek() == '*') {
          ++pos_;
          Segment s;
          s.kind = Segment::Kind::kWildcard;
          s.deep = deep;
          out->push_back(std::move(s));
          continue;
        }
        size_t start = pos_;
        while (!AtEnd() && !IsNameTerminator(Peek(), in_filter) && Peek() != '(') ++pos_;
        if (pos_ == start) return Error("expected a member name after '.'");
        Segment s;
        s.kind = Segment::Kind::kName;
        s.deep = deep;
        s.name = std::string(text_.substr(start, pos_ - start));
        if (Peek() == '(') {
          if (deep || !IsFunctionName(s.name)) return Error("unknown function '" + s.name + "'");
          ++pos_;
          SkipSpaces();
          if (Peek() != ')') return Error("function '" + s.name + "' takes no arguments");
          ++pos_;
          s.kind = Segment::Kind::kFunction;
          out->push_back(std::move(s));
          if (!AtEnd() && (Peek() == '.' || Peek() == '[')) {
            return Error("a function must end the path");
          }
          continue;
        }
        out->push_back(std::move(s));
      } else if (c == '[') {
        STEPD_RETURN_IF_ERROR(ParseBracket(out, false));
      } else {
        if (in_filter) return Status();
        return Error("unexpected character '" + std::string(1, c) + "'");
      }
    }
    return Status();
  }

  static bool IsFunctionName(std::string_view name) {
    for (std::string_view f :
         {"length", "size", "min", "max", "avg", "stddev", "sum", "keys", "first", "last"}) {
      if (name == f) return true;
    }
    return false;
  }

  static bool IsNameTerminator(char c, bool in_filter) {
    if (c == '.' || c == '[' || c == ']') return true;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return true;
    if (in_filter) {
      return c == ')' || c == '=' || c == '!' || c == '<' || c == '>' || c == '&' || c == '|';
    }
    return false;
  }

  Status ParseBracket(std::vector<Segment>* out, bool deep) {
    ++pos_;  // '['
    SkipSpaces();
    Segment s;
    s.deep = deep;
    char c = Peek();
    if (c == '*') {
      ++pos_;
      s.kind = Segment::Kind::kWildcard;
    } else if (c == '?') {
      ++pos_;
      SkipSpaces();
      if (Peek() != '(') return Error("expected '(' after '?'");
      ++pos_;
      STEPD_ASSIGN_OR_RETURN(std::shared_ptr<const Filter> filter, ParseOr());
      SkipSpaces();
      if (Peek() != ')') return Error("expected ')' closing the filter");
      ++pos_;
      s.kind = Segment::Kind::kFilter;
      s.filter = std::move(filter);
    } else if (c == '\'' || c == '"') {
      std::vector<std::string> names;
      while (true) {
        SkipSpaces();
        if (Peek() != '\'' && Peek() != '"') return Error("expected a quoted member name");
        STEPD_ASSIGN_OR_RETURN(std::string name, ParseQuoted());
        names.push_back(std::move(name));
        SkipSpaces();
        if (Peek() != ',') break;
        ++pos_;
      }
      if (names.size() == 1) {
        s.kind = Segment::Kind::kName;
        s.name = std::move(names[0]);
      } else {
        s.kind = Segment::Kind::kNames;
        s.names = std::move(names);
      }
    } else if (c == '-' || c == ':' || (c >= '0' && c <= '9')) {
      STEPD_RETURN_IF_ERROR(ParseIndexes(&s));
    } else {
      return Error(AtEnd() ? "unterminated '['"
                           : "unexpected character '" + std::string(1, c) + "' after '['");
    }
    SkipSpaces();
    if (Peek() != ']') return Error("expected ']'");
    ++pos_;
    out->push_back(std::move(s));
    return Status();
  }

  StatusOr<std::optional<int64_t>> ParseOptionalInt() {
    SkipSpaces();
    size_t start = pos_;
    if (Peek() == '-') ++pos_;
    while (Peek() >= '0' && Peek() <= '9') ++pos_;
    if (pos_ == start) return std::optional<int64_t>();
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, value);
    if (ec != std::errc() || ptr != text_.data() + pos_) {
      pos_ = start;
      return Error("invalid array index");
    }
    SkipSpaces();
    return std::optional<int64_t>(value);
  }

  Status ParseIndexes(Segment* s) {
    STEPD_ASSIGN_OR_RETURN(std::optional<int64_t> first, ParseOptionalInt());
    if (Peek() == ':') {
      ++pos_;
      s->kind = Segment::Kind::kSlice;
      s->start = first;
      STEPD_ASSIGN_OR_RETURN(s->end, ParseOptionalInt());
      if (Peek() == ':') {
        ++pos_;
        STEPD_ASSIGN_OR_RETURN(std::optional<int64_t> step, ParseOptionalInt());
        if (step.has_value()) {
          if (*step == 0) return Error("slice step cannot be zero");
          s->step = *step;
        }
      }
      return Status();
    }
    if (!first.has_value()) return Error("expected an array index");
    std::vector<int64_t> indexes{*first};
    while (Peek() == ',') {
      ++pos_;
      STEPD_ASSIGN_OR_RETURN(std::optional<int64_t> next, ParseOptionalInt());
      if (!next.has_value()) return Error("expected an array index after ','");
      indexes.push_back(*next);
    }
    if (indexes.size() == 1) {
      s->kind = Segment::Kind::kIndex;
      s->index = indexes[0];
    } else {
      s->kind = Segment::Kind::kIndexes;
      s->indexes = std::move(indexes);
    }
    return Status();
  }

  StatusOr<std::string> ParseQuoted() {
    char quote = Peek();
    ++pos_;
    std::string out;
    while (!AtEnd() && Peek() != quote) {
      char c = Peek();
      if (c == '\\') {
        ++pos_;
        if (AtEnd()) break;
        char e = Peek();
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          default:
            out += e;
            break;  // \' \" \\ and anything else literally
        }
        ++pos_;
        continue;
      }
      out += c;
      ++pos_;
    }
    if (AtEnd()) return Error("unterminated quoted string");
    ++pos_;  // closing quote
    return out;
  }

  // ---- filters: or := and ('||' and)*; and := unary ('&&' unary)*;
  //      unary := '!' unary | '(' or ')' | operand (op operand)?
  StatusOr<std::shared_ptr<const Filter>> ParseOr() {
    STEPD_ASSIGN_OR_RETURN(std::shared_ptr<const Filter> left, ParseAnd());
    SkipSpaces();
    if (!(Peek() == '|' && Peek(1) == '|')) return left;
    auto node = std::make_shared<Filter>();
    node->op = Filter::Op::kOr;
    node->children.push_back(std::move(left));
    while (Peek() == '|' && Peek(1) == '|') {
      pos_ += 2;
      STEPD_ASSIGN_OR_RETURN(std::shared_ptr<const Filter> next, ParseAnd());
      node->children.push_back(std::move(next));
      SkipSpaces();
    }
    return std::shared_ptr<const Filter>(std::move(node));
  }

  StatusOr<std::shared_ptr<const Filter>> ParseAnd() {
    STEPD_ASSIGN_OR_RETURN(std::shared_ptr<const Filter> left, ParseUnary());
    SkipSpaces();
    if (!(Peek() == '&' && Peek(1) == '&')) return left;
    auto node = std::make_shared<Filter>();
    node->op = Filter::Op::kAnd;
    node->children.push_back(std::move(left));
    while (Peek() == '&' && Peek(1) == '&') {
      pos_ += 2;
      STEPD_ASSIGN_OR_RETURN(std::shared_ptr<const Filter> next, ParseUnary());
      node->children.push_back(std::move(next));
      SkipSpaces();
    }
    return std::shared_ptr<const Filter>(std::move(node));
  }

  StatusOr<std::shared_ptr<const Filter>> ParseUnary() {
    // Every nesting ('!', '(' and a filter inside a filter's path) passes
    // through here; a bound keeps hostile paths off the end of the stack.
    struct Nesting {
      int& depth;
      ~Nesting() { --depth; }
    } nesting{++depth_};
    if (depth_ > kMaxFilterNesting) {
      return Error("filters nested deeper than " + std::to_string(kMaxFilterNesting) + " levels");
    }
    SkipSpaces();
    if (Peek() == '!' && Peek(1) != '=') {
      ++pos_;
      STEPD_ASSIGN_OR_RETURN(std::shared_ptr<const Filter> inner, ParseUnary());
      auto node = std::make_shared<Filter>();
      node->op = Filter::Op::kNot;
      node->children.push_back(std::move(inner));
      return std::shared_ptr<const Filter>(std::move(node));
    }
    if (Peek() == '(') {
      ++pos_;
      STEPD_ASSIGN_OR_RETURN(std::shared_ptr<const Filter> inner, ParseOr());
      SkipSpaces();
      if (Peek() != ')') return Error("expected ')'");
      ++pos_;
      return inner;
    }
    auto node = std::make_shared<Filter>();
    STEPD_ASSIGN_OR_RETURN(node->lhs, ParseOperand());
    SkipSpaces();
    static constexpr std::pair<std::string_view, Filter::Op> kOps[] = {
        {"==", Filter::Op::kEq}, {"!=", Filter::Op::kNe},    {"<=", Filter::Op::kLe},
        {">=", Filter::Op::kGe}, {"=~", Filter::Op::kMatch}, {"<", Filter::Op::kLt},
        {">", Filter::Op::kGt}};
    for (const auto& [text, op] : kOps) {
      if (text_.substr(pos_, text.size()) == text) {
        pos_ += text.size();
        node->op = op;
        SkipSpaces();
        if (op == Filter::Op::kMatch) {
          STEPD_ASSIGN_OR_RETURN(node->rhs, ParseRegex());
        } else {
          STEPD_ASSIGN_OR_RETURN(node->rhs, ParseOperand());
          if (node->rhs.kind == Operand::Kind::kRegex) return Error("a regex needs '=~'");
        }
        return std::shared_ptr<const Filter>(std::move(node));
      }
    }
    if (node->lhs.kind == Operand::Kind::kLiteral) {
      return Error("a filter needs a path operand or a comparison");
    }
    node->op = Filter::Op::kExists;
    return std::shared_ptr<const Filter>(std::move(node));
  }

  StatusOr<Operand> ParseOperand() {
    SkipSpaces();
    Operand operand;
    char c = Peek();
    if (c == '@' || c == '$') {
      ++pos_;
      operand.kind = c == '@' ? Operand::Kind::kCurrent : Operand::Kind::kRoot;
      STEPD_RETURN_IF_ERROR(ParseSegments(&operand.path, /*in_filter=*/true));
      operand.definite = IsDefiniteSegments(operand.path);
      return operand;
    }
    if (c == '\'' || c == '"') {
      STEPD_ASSIGN_OR_RETURN(std::string text, ParseQuoted());
      operand.literal = std::move(text);
      return operand;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = pos_;
      if (c == '-') ++pos_;
      while (!AtEnd() &&
             ((Peek() >= '0' && Peek() <= '9') || Peek() == '.' || Peek() == 'e' || Peek() == 'E' ||
              ((Peek() == '+' || Peek() == '-') &&
               (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E')))) {
        ++pos_;
      }
      Json number = Json::parse(text_.substr(start, pos_ - start), nullptr, false);
      if (!number.is_number()) {
        pos_ = start;
        return Error("invalid number");
      }
      operand.literal = std::move(number);
      return operand;
    }
    for (std::string_view word : {"true", "false", "null"}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        operand.literal = word == "true" ? Json(true) : word == "false" ? Json(false) : Json();
        return operand;
      }
    }
    return Error(AtEnd() ? "unterminated filter"
                         : "unexpected character '" + std::string(1, c) + "' in filter");
  }

  StatusOr<Operand> ParseRegex() {
    if (Peek() != '/') return Error("expected a /regex/ after '=~'");
    ++pos_;
    std::string pattern;
    while (!AtEnd() && Peek() != '/') {
      if (Peek() == '\\' && Peek(1) == '/') ++pos_;
      pattern += Peek();
      ++pos_;
    }
    if (AtEnd()) return Error("unterminated regex");
    ++pos_;
    auto flags = std::regex::ECMAScript;
    while (Peek() == 'i' || Peek() == 'm' || Peek() == 's' || Peek() == 'x') {
      if (Peek() == 'i') flags |= std::regex::icase;
      ++pos_;
    }
    Operand operand;
    operand.kind = Operand::Kind::kRegex;
    try {
      operand.regex = std::make_shared<const std::regex>(pattern, flags);
    } catch (const std::regex_error&) {
      return Error("invalid regex");
    }
    return operand;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
};

// ---- evaluation

void Select(const Segment& s, const Json& node, const Json& root, Nodes* out);

void SelectDeep(const Segment& s, const Json& node, const Json& root, Nodes* out) {
  Select(s, node, root, out);
  if (node.is_object()) {
    for (const auto& [key, child] : node.items()) SelectDeep(s, child, root, out);
  } else if (node.is_array()) {
    for (const Json& child : node) SelectDeep(s, child, root, out);
  }
}

void Apply(const Segment* begin, const Segment* end, const Json& start, const Json& root,
           Nodes* out) {
  if (begin != end && (end - 1)->kind == Segment::Kind::kFunction) --end;
  Nodes current{&start};
  Nodes next;
  for (const Segment* it = begin; it != end; ++it) {
    const Segment& s = *it;
    next.clear();
    for (const Json* node : current) {
      if (s.deep) {
        SelectDeep(s, *node, root, &next);
      } else {
        Select(s, *node, root, &next);
      }
    }
    current.swap(next);
    if (current.empty()) break;
  }
  out->insert(out->end(), current.begin(), current.end());
}

std::optional<size_t> ResolveIndex(int64_t index, size_t size) {
  int64_t n = static_cast<int64_t>(size);
  if (index < 0) index += n;
  if (index < 0 || index >= n) return std::nullopt;
  return static_cast<size_t>(index);
}

// Jayway's path functions, applied to what the path before them selected: the
// elements of the one array a definite prefix selected, or every match of an
// indefinite prefix. nullopt where Jayway raises (no input, empty aggregate).
std::optional<Json> ApplyFunction(const std::string& name, const Nodes& found,
                                  bool definite_prefix) {
  Nodes items;
  const Json* single = definite_prefix && !found.empty() ? found.front() : nullptr;
  if (definite_prefix) {
    if (single == nullptr) return std::nullopt;
    if (name == "keys") {
      if (!single->is_object()) return std::nullopt;
      Json keys = Json::array();
      for (const auto& [key, value] : single->items()) keys.push_back(key);
      return keys;
    }
    if ((name == "length" || name == "size") && single->is_object()) return Json(single->size());
    if ((name == "length" || name == "size") && single->is_string()) {
      size_t n = 0;
      for (unsigned char c : single->get_ref<const std::string&>()) n += (c & 0xC0) != 0x80;
      return Json(n);
    }
    if (!single->is_array()) return std::nullopt;
    for (const Json& item : *single) items.push_back(&item);
  } else {
    if (name == "keys") return std::nullopt;
    items = found;
  }
  if (name == "length" || name == "size") return Json(items.size());
  if (name == "first") return items.empty() ? std::nullopt : std::optional<Json>(*items.front());
  if (name == "last") return items.empty() ? std::nullopt : std::optional<Json>(*items.back());
  std::vector<double> numbers;
  for (const Json* item : items) {
    if (item->is_number()) numbers.push_back(item->get<double>());
  }
  if (numbers.empty()) return std::nullopt;
  double sum = 0;
  for (double n : numbers) sum += n;
  if (name == "sum") return Json(sum);
  if (name == "min") return Json(*std::min_element(numbers.begin(), numbers.end()));
  if (name == "max") return Json(*std::max_element(numbers.begin(), numbers.end()));
  double mean = sum / static_cast<double>(numbers.size());
  if (name == "avg") return Json(mean);
  double squares = 0;
  for (double n : numbers) squares += (n - mean) * (n - mean);
  return Json(std::sqrt(squares / static_cast<double>(numbers.size())));  // stddev
}

bool EndsWithFunction(const std::vector<Segment>& segments) {
  return !segments.empty() && segments.back().kind == Segment::Kind::kFunction;
}

// Filter evaluation. An operand that selects nothing is "undefined": it is
// equal to nothing and ordered with nothing, as in Jayway. Values found in the
// document are borrowed, not copied.
struct OperandValue {
  const Json* borrowed = nullptr;
  std::optional<Json> owned;

  bool present() const { return borrowed != nullptr || owned.has_value(); }
  const Json& get() const { return borrowed != nullptr ? *borrowed : *owned; }
};

OperandValue Resolve(const Operand& operand, const Json& current, const Json& root) {
  OperandValue out;
  if (operand.kind == Operand::Kind::kLiteral) {
    out.borrowed = &operand.literal;
    return out;
  }
  Nodes found;
  Apply(operand.path.data(), operand.path.data() + operand.path.size(),
        operand.kind == Operand::Kind::kCurrent ? current : root, root, &found);
  if (EndsWithFunction(operand.path)) {
    out.owned = ApplyFunction(
        operand.path.back().name, found,
        IsDefiniteSegments(operand.path.data(), operand.path.data() + operand.path.size() - 1));
    return out;
  }
  if (operand.definite) {
    if (!found.empty()) out.borrowed = found.front();
    return out;
  }
  Json array = Json::array();
  for (const Json* n : found) array.push_back(*n);
  out.owned = std::move(array);
  return out;
}

std::optional<double> NumberOf(const Json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    Json parsed = Json::parse(v.get_ref<const std::string&>(), nullptr, false);
    if (parsed.is_number()) return parsed.get<double>();
  }
  return std::nullopt;
}

// <0, 0, >0; nullopt when the two are not comparable.
std::optional<int> CompareNumbers(const Json& a, const Json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    if (a.is_number_unsigned() || b.is_number_unsigned()) {
      // Mixed signs: fall back to doubles for the rare huge values.
      if (a.is_number_unsigned() && b.is_number_unsigned()) {
        auto x = a.get<uint64_t>(), y = b.get<uint64_t>();
        return x < y ? -1 : x > y ? 1 : 0;
      }
    } else {
      auto x = a.get<int64_t>(), y = b.get<int64_t>();
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
  double x = a.get<double>(), y = b.get<double>();
  if (std::isnan(x) || std::isnan(y)) return std::nullopt;
  return x < y ? -1 : x > y ? 1 : 0;
}

bool FilterEquals(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b) == 0;
  if ((a.is_number() && b.is_string()) || (a.is_string() && b.is_number())) {
    std::optional<double> x = NumberOf(a), y = NumberOf(b);
    return x.has_value() && y.has_value() && *x == *y;
  }
  return a == b;
}

std::optional<int> FilterOrder(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b);
  if (a.is_string() && b.is_string()) {
    int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return std::nullopt;
}

bool Holds(const Filter& f, const Json& current, const Json& root) {
  switch (f.op) {
    case Filter::Op::kOr:
      return std::any_of(f.children.begin(), f.children.end(),
                         [&](const auto& c) { return Holds(*c, current, root); });
    case Filter::Op::kAnd:
      return std::all_of(f.children.begin(), f.children.end(),
                         [&](const auto& c) { return Holds(*c, current, root); });
    case Filter::Op::kNot:
      return !Holds(*f.children.front(), current, root);
    case Filter::Op::kExists: {
      OperandValue v = Resolve(f.lhs, current, root);
      if (!v.present()) return false;
      return f.lhs.definite || !v.get().empty();
    }
    default:
      break;
  }
  OperandValue left = Resolve(f.lhs, current, root);
  if (f.op == Filter::Op::kMatch) {
    return left.present() && left.get().is_string() &&
           std::regex_match(left.get().get_ref<const std::string&>(), *f.rhs.regex);
  }
  OperandValue right = Resolve(f.rhs, current, root);
  bool both = left.present() && right.present();
  switch (f.op) {
    case Filter::Op::kEq:
      return both && FilterEquals(left.get(), right.get());
    case Filter::Op::kNe:
      return !(both && FilterEquals(left.get(), right.get()));
    default:
      break;
  }
  if (!both) return false;
  std::optional<int> order = FilterOrder(left.get(), right.get());
  if (!order.has_value()) return false;
  switch (f.op) {
    case Filter::Op::kLt:
      return *order < 0;
    case Filter::Op::kLe:
      return *order <= 0;
    case Filter::Op::kGt:
      return *order > 0;
    case Filter::Op::kGe:
      return *order >= 0;
    default:
      return false;
  }
}

void Select(const Segment& s, const Json& node, const Json& root, Nodes* out) {
  switch (s.kind) {
    case Segment::Kind::kName:
      if (node.is_object()) {
        auto it = node.find(s.name);
        if (it != node.end()) out->push_back(&*it);
      }
      return;
    case Segment::Kind::kNames:
      if (node.is_object()) {
        for (const std::string& name : s.names) {
          auto it = node.find(name);
          if (it != node.end()) out->push_back(&*it);
        }
      }
      return;
    case Segment::Kind::kIndex:
      if (node.is_array()) {
        if (auto i = ResolveIndex(s.index, node.size())) out->push_back(&node[*i]);
      }
      return;
    case Segment::Kind::kIndexes:
      if (node.is_array()) {
        for (int64_t index : s.indexes) {
          if (auto i = ResolveIndex(index, node.size())) out->push_back(&node[*i]);
        }
      }
      return;
    case Segment::Kind::kWildcard:
      if (node.is_object()) {
        for (const auto& [key, child] : node.items()) out->push_back(&child);
      } else if (node.is_array()) {
        for (const Json& child : node) out->push_back(&child);
      }
      return;
    case Segment::Kind::kSlice: {
      if (!node.is_array()) return;
      int64_t n = static_cast<int64_t>(node.size());
      auto clamp = [n](int64_t v, int64_t lo, int64_t hi) {
        if (v < 0) v += n;
        return std::clamp(v, lo, hi);
      };
      if (s.step > 0) {
        int64_t from = s.start ? clamp(*s.start, 0, n) : 0;
        int64_t to = s.end ? clamp(*s.end, 0, n) : n;
        for (int64_t i = from; i < to; i += s.step) out->push_back(&node[static_cast<size_t>(i)]);
      } else {
        int64_t from = s.start ? clamp(*s.start, -1, n - 1) : n - 1;
        int64_t to = s.end ? clamp(*s.end, -1, n - 1) : -1;
        for (int64_t i = from; i > to; i += s.step) out->push_back(&node[static_cast<size_t>(i)]);
      }
      return;
    }
    case Segment::Kind::kFunction:
      return;  // applied by ApplyFunction after the other segments
    case Segment::Kind::kFilter:
      if (node.is_array()) {
        for (const Json& child : node) {
          if (Holds(*s.filter, child, root)) out->push_back(&child);
        }
      } else if (node.is_object()) {
        if (Holds(*s.filter, node, root)) out->push_back(&node);
      }
      return;
  }
}

std::string QuoteForMessage(const std::string& name) {
  std::string out = "'";
  for (char c : name) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string DumpForCause(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

JsonPath::~JsonPath() = default;

StatusOr<JsonPath> JsonPath::Parse(std::string_view text) {
  Parser parser(text);
  STEPD_ASSIGN_OR_RETURN(std::vector<Segment> segments, parser.ParsePath());
  JsonPath path;
  path.text_ = std::string(text);
  path.definite_ = IsDefiniteSegments(segments);
  path.segments_ = std::make_shared<const std::vector<Segment>>(std::move(segments));
  return path;
}

bool JsonPath::IsRoot() const { return segments_ == nullptr || segments_->empty(); }

bool JsonPath::IsDefinite() const { return definite_; }

const Json* JsonPath::Find(const Json& root) const {
  if (!definite_) return nullptr;
  const Json* node = &root;
  if (segments_ == nullptr) return node;
  for (const Segment& s : *segments_) {
    if (s.kind == Segment::Kind::kName) {
      if (!node->is_object()) return nullptr;
      auto it = node->find(s.name);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else {
      if (!node->is_array()) return nullptr;
      auto i = ResolveIndex(s.index, node->size());
      if (!i.has_value()) return nullptr;
      node = &(*node)[*i];
    }
  }
  return node;
}

std::optional<Json> JsonPath::Evaluate(const Json& root) const {
  if (definite_) {
    const Json* found = Find(root);
    if (found == nullptr) return std::nullopt;
    return *found;
  }
  const Segment* begin = segments_->data();
  const Segment* end = begin + segments_->size();
  const Segment& last = segments_->back();
  if (last.kind == Segment::Kind::kFunction) {
    Nodes found;
    Apply(begin, end, root, root, &found);
    return ApplyFunction(last.name, found, IsDefiniteSegments(begin, end - 1));
  }
  if (last.kind == Segment::Kind::kNames && !last.deep && IsDefiniteSegments(begin, end - 1)) {
    // Jayway merges a trailing multi-member selection after a definite
    // prefix into one object of the members present.
    Nodes parents;
    Apply(begin, end - 1, root, root, &parents);
    if (parents.empty() || !parents.front()->is_object()) return Json::array();
    Json merged = Json::object();
    for (const std::string& name : last.names) {
      auto it = parents.front()->find(name);
      if (it != parents.front()->end()) merged[name] = *it;
    }
    return merged;
  }
  Nodes found;
  Apply(begin, end, root, root, &found);
  Json array = Json::array();
  for (const Json* n : found) array.push_back(*n);
  return array;
}

AslResult<Json> JsonPath::AssignAt(Json root, Json value) const {
  auto failure = [&](const Json& input) {
    return AslError::Of(
        StatesError::kResultPathMatchFailure,
        "Unable to apply ResultPath \"" + text_ + "\" to input \"" + DumpForCause(input) + "\"");
  };
  if (!definite_) return failure(root);
  if (IsRoot()) return value;
  Json* node = &root;
  const std::vector<Segment>& segments = *segments_;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    bool last = i + 1 == segments.size();
    if (s.kind == Segment::Kind::kName) {
      if (!node->is_object()) return failure(root);
      auto it = node->find(s.name);
      if (last) {
        if (it != node->end()) {
          *it = std::move(value);
        } else {
          node->emplace(s.name, std::move(value));
        }
        return root;
      }
      if (it == node->end()) it = node->emplace(s.name, Json::object()).first;
      node = &*it;
    } else {
      if (!node->is_array()) return failure(root);
      auto index = ResolveIndex(s.index, node->size());
      if (!index.has_value()) return failure(root);
      if (last) {
        (*node)[*index] = std::move(value);
        return root;
      }
      node = &(*node)[*index];
    }
  }
  return root;
}

std::string JsonPath::Normalized() const {
  std::string out = "$";
  if (segments_ == nullptr) return out;
  for (const Segment& s : *segments_) {
    if (s.deep) out += "..";
    switch (s.kind) {
      case Segment::Kind::kName:
        out += "[" + QuoteForMessage(s.name) + "]";
        break;
      case Segment::Kind::kNames: {
        out += "[";
        for (size_t i = 0; i < s.names.size(); ++i)
          out += (i ? "," : "") + QuoteForMessage(s.names[i]);
        out += "]";
        break;
      }
      case Segment::Kind::kIndex:
        out += "[" + std::to_string(s.index) + "]";
        break;
      case Segment::Kind::kIndexes: {
        out += "[";
        for (size_t i = 0; i < s.indexes.size(); ++i)
          out += (i ? "," : "") + std::to_string(s.indexes[i]);
        out += "]";
        break;
      }
      case Segment::Kind::kWildcard:
        out += "[*]";
        break;
      case Segment::Kind::kSlice:
        out += "[" + (s.start ? std::to_string(*s.start) : std::string()) + ":" +
               (s.end ? std::to_string(*s.end) : std::string()) +
               (s.step != 1 ? ":" + std::to_string(s.step) : std::string()) + "]";
        break;
      case Segment::Kind::kFilter:
        out += "[?]";
        break;
      case Segment::Kind::kFunction:
        out += "." + s.name + "()";
        break;
    }
  }
  return out;
}

}  // namespace stepd::asl
