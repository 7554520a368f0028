// JSONata's grammar: a tokenizer and a Pratt (top-down operator precedence)
// parser with jsonata-js' binding powers, then the pass that turns `.`
// chains into paths, attaches predicates, grouping, sorting and bindings to
// the steps they belong to, and resolves each `%` to the step whose input it
// reads.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "jsonata_ast.h"
#include "jsonata_error.h"
#include "jsonata_regex.h"

namespace stepd::asl::jsonata {
namespace {

enum class Tok : uint8_t { kEnd, kOperator, kName, kVariable, kString, kNumber, kValue, kRegex };

struct Token {
  Tok kind = Tok::kEnd;
  std::string value;  // operator text, name, variable (no `$`), string contents
  Value literal;      // numbers, true/false/null
  std::shared_ptr<const Regex> regex;
  int position = 0;  // code points up to the token's end
};

[[gnu::noinline]] bool IsBinaryOperator(std::string_view op) {
  static const std::unordered_map<std::string_view, bool> kBinary = {
      {".", true}, {"+", true},   {"-", true},  {"*", true},  {"/", true},  {"%", true},
      {"=", true}, {"<", true},   {">", true},  {"!=", true}, {"<=", true}, {">=", true},
      {"&", true}, {"and", true}, {"or", true}, {"in", true}};
  return kBinary.contains(op);
}

[[gnu::noinline]] int LeftBindingPower(const Token& t) {
  if (t.kind != Tok::kOperator) return 0;
  static const std::unordered_map<std::string_view, int> kPower = {
      {".", 75},  {"[", 80},  {"]", 0},   {"{", 70},  {"}", 0},    {"(", 80},  {")", 0},
      {",", 0},   {"@", 80},  {"#", 80},  {";", 0},   {":", 0},    {"?", 20},  {"+", 50},
      {"-", 50},  {"*", 60},  {"/", 60},  {"%", 60},  {"|", 0},    {"=", 40},  {"<", 40},
      {">", 40},  {"^", 40},  {"**", 60}, {"..", 0},  {":=", 10},  {"!=", 40}, {"<=", 40},
      {">=", 40}, {"~>", 40}, {"?:", 40}, {"??", 40}, {"and", 30}, {"or", 25}, {"in", 40},
      {"&", 50},  {"!", 0},   {"~", 0}};
  auto it = kPower.find(t.value);
  return it == kPower.end() ? 0 : it->second;
}

bool IsOperatorChar(char c) {
  switch (c) {
    case '.':
    case '[':
    case ']':
    case '{':
    case '}':
    case '(':
    case ')':
    case ',':
    case '@':
    case '#':
    case ';':
    case ':':
    case '?':
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
    case '|':
    case '=':
    case '<':
    case '>':
    case '^':
    case '&':
    case '!':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'; }

// Parsing, processing and every later walk of the tree recurse once per
// level: text nested deeper than kMaxExpressionDepth fails here instead of
// overflowing the stack.
[[noreturn]] void TooDeep(int position) {
  throw Error("U1001",
              "The expression is nested too deeply (more than " +
                  std::to_string(kMaxExpressionDepth) + " levels)",
              position);
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  // `operand_expected`: a `/` starts a regex rather than dividing.
  Token Next(bool operand_expected) {
    SkipSpaceAndComments();
    Token t;
    if (pos_ >= src_.size()) {
      t.position = Position();
      return t;
    }
    const char c = src_[pos_];
    if (c == '/' && operand_expected) return ScanRegex();
    static constexpr std::string_view kDouble[] = {
        "..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"};
    for (std::string_view op : kDouble) {
      if (src_.substr(pos_, 2) == op) {
        pos_ += 2;
        return Operator(std::string(op));
      }
    }
    if (IsOperatorChar(c)) {
      ++pos_;
      return Operator(std::string(1, c));
    }
    if (c == '"' || c == '\'') return ScanString(c);
    if (c >= '0' && c <= '9') return ScanNumber();
    if (c == '`') {
      size_t end = src_.find('`', pos_ + 1);
      if (end == std::string_view::npos) {
        throw Error("S0105", "Quoted property name must be terminated with a backquote (`)",
                    Position());
      }
      t.kind = Tok::kName;
      t.value = std::string(src_.substr(pos_ + 1, end - pos_ - 1));
      pos_ = end + 1;
      t.position = Position();
      return t;
    }
    size_t end = pos_;
    while (end < src_.size() && !IsSpace(src_[end]) && !IsOperatorChar(src_[end]) &&
           src_[end] != '"' && src_[end] != '\'' && src_[end] != '`') {
      ++end;
    }
    std::string word(src_.substr(pos_, end - pos_));
    pos_ = end;
    t.position = Position();
    if (word[0] == '$') {
      t.kind = Tok::kVariable;
      t.value = word.substr(1);
      return t;
    }
    if (word == "and" || word == "or" || word == "in") {
      t.kind = Tok::kOperator;
      t.value = word;
      return t;
    }
    if (word == "true" || word == "false") {
      t.kind = Tok::kValue;
      t.literal = Value::Bool(word == "true");
      t.value = word;
      return t;
    }
    if (word == "null") {
      t.kind = Tok::kValue;
      t.literal = Value::Null();
      t.value = word;
      return t;
    }
    t.kind = Tok::kName;
    t.value = std::move(word);
    return t;
  }

  // Code points before the current offset. Counted on from the previous
  // call (recounting from the start each time would make parsing quadratic).
  int Position() const {
    const size_t end = std::min(pos_, src_.size());
    if (end < counted_to_) counted_to_ = 0, counted_ = 0;
    for (; counted_to_ < end; ++counted_to_) {
      if ((static_cast<unsigned char>(src_[counted_to_]) & 0xC0) != 0x80) ++counted_;
    }
    return counted_;
  }

  // The raw text of a function signature starting at `<`, after the lexer
  // stopped just past that `<`. Returns "<...>" and moves past it.
  std::string ScanSignature(size_t start) {
    int depth = 0;
    size_t i = start;
    for (; i < src_.size(); ++i) {
      if (src_[i] == '<') ++depth;
      if (src_[i] == '>' && --depth == 0) break;
    }
    if (i >= src_.size()) {
      pos_ = src_.size();
      throw Error("S0401", "Function signature is not terminated", Position());
    }
    pos_ = i + 1;
    std::string sig;
    for (size_t k = start; k <= i; ++k) {
      if (!IsSpace(src_[k])) sig.push_back(src_[k]);
    }
    return sig;
  }
  size_t offset() const { return pos_; }
  void set_offset(size_t p) { pos_ = p; }

 private:
  Token Operator(std::string op) {
    Token t;
    t.kind = Tok::kOperator;
    t.value = std::move(op);
    t.position = Position();
    return t;
  }

  void SkipSpaceAndComments() {
    for (;;) {
      while (pos_ < src_.size() && IsSpace(src_[pos_])) ++pos_;
      if (src_.substr(pos_, 2) != "/*") return;
      size_t end = src_.find("*/", pos_ + 2);
      if (end == std::string_view::npos) {
        pos_ = src_.size();
        throw Error("S0106", "Comment has no closing tag", Position());
      }
      pos_ = end + 2;
    }
  }

  Token ScanString(char quote) {
    Token t;
    t.kind = Tok::kString;
    size_t i = pos_ + 1;
    std::string out;
    while (i < src_.size()) {
      char c = src_[i];
      if (c == quote) {
        pos_ = i + 1;
        t.value = std::move(out);
        t.literal = Value::String(t.value);
        t.position = Position();
        return t;
      }
      if (c != '\\') {
        out.push_back(c);
        ++i;
        continue;
      }
      if (++i >= src_.size()) break;
      char e = src_[i];
      switch (e) {
        case '"':
        case '\\':
        case '/':
        case '\'':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          auto hex4 = [&](size_t at, uint32_t* v) {
            if (at + 4 > src_.size()) return false;
            *v = 0;
            for (size_t k = at; k < at + 4; ++k) {
              char h = src_[k];
              int d = (h >= '0' && h <= '9')   ? h - '0'
                      : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                      : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                               : -1;
              if (d < 0) return false;
              *v = *v * 16 + static_cast<uint32_t>(d);
            }
            return true;
          };
          uint32_t cp;
          if (!hex4(i + 1, &cp)) {
            pos_ = i;
            throw Error("S0104", "The escape sequence \\u must be followed by 4 hex digits",
                        Position());
          }
          i += 4;
          uint32_t low;
          if (cp >= 0xD800 && cp < 0xDC00 && i + 2 < src_.size() && src_[i + 1] == '\\' &&
              src_[i + 2] == 'u' && hex4(i + 3, &low) && low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
          AppendUtf8(&out, cp);
          break;
        }
        default:
          pos_ = i;
          throw Error("S0103", std::string("Unsupported escape sequence: \\") + e, Position(),
                      std::string(1, e));
      }
      ++i;
    }
    pos_ = src_.size();
    throw Error("S0101", "String literal must be terminated by a matching quote", Position());
  }

  Token ScanNumber() {
    size_t i = pos_;
    if (src_[i] == '0') {
      ++i;
    } else {
      while (i < src_.size() && src_[i] >= '0' && src_[i] <= '9') ++i;
    }
    if (i + 1 < src_.size() && src_[i] == '.' && src_[i + 1] >= '0' && src_[i + 1] <= '9') {
      ++i;
      while (i < src_.size() && src_[i] >= '0' && src_[i] <= '9') ++i;
    }
    if (i < src_.size() && (src_[i] == 'e' || src_[i] == 'E')) {
      size_t j = i + 1;
      if (j < src_.size() && (src_[j] == '+' || src_[j] == '-')) ++j;
      if (j < src_.size() && src_[j] >= '0' && src_[j] <= '9') {
        while (j < src_.size() && src_[j] >= '0' && src_[j] <= '9') ++j;
        i = j;
      }
    }
    std::string text(src_.substr(pos_, i - pos_));
    pos_ = i;
    double v = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(v)) {
      throw Error("S0102", "Number out of range: " + text, Position(), text);
    }
    Token t;
    t.kind = Tok::kNumber;
    t.value = text;
    t.literal = Value::Number(v);
    t.position = Position();
    return t;
  }

  Token ScanRegex() {
    // The closing `/` is one outside brackets, parentheses and braces and
    // not escaped (an even number of backslashes before it).
    size_t start = ++pos_;
    int depth = 0;
    size_t i = start;
    auto escaped = [&](size_t at) {
      size_t n = 0;
      while (at > start + n && src_[at - n - 1] == '\\') ++n;
      return n % 2 == 1;
    };
    for (; i < src_.size(); ++i) {
      char c = src_[i];
      if (c == '/' && depth == 0 && !escaped(i)) break;
      if ((c == '(' || c == '[' || c == '{') && !(i > start && src_[i - 1] == '\\')) ++depth;
      if ((c == ')' || c == ']' || c == '}') && !(i > start && src_[i - 1] == '\\')) --depth;
    }
    if (i >= src_.size()) {
      pos_ = src_.size();
      throw Error("S0302", "No terminating / in regular expression", Position());
    }
    std::string pattern(src_.substr(start, i - start));
    if (pattern.empty()) {
      pos_ = i;
      throw Error("S0301", "Empty regular expressions are not allowed", Position());
    }
    size_t f = i + 1;
    while (f < src_.size() && (src_[f] == 'i' || src_[f] == 'm')) ++f;
    std::string flags(src_.substr(i + 1, f - i - 1));
    pos_ = f;
    Token t;
    t.kind = Tok::kRegex;
    t.value = pattern;
    t.position = Position();
    try {
      t.regex = Regex::Compile(pattern, flags);
    } catch (Error& e) {
      if (e.position() < 0) e.set_position(t.position);
      throw;
    }
    return t;
  }

  std::string_view src_;
  size_t pos_ = 0;
  mutable size_t counted_to_ = 0;  // Position(): the offset counted up to
  mutable int counted_ = 0;        // and the code points before it
};

class Parser {
 public:
  explicit Parser(std::string_view src) : lexer_(src) { Advance(true); }

  NodePtr ParseAll() {
    NodePtr root = Expression(0);
    if (cur_.kind != Tok::kEnd) {
      throw Error("S0201", "Syntax error: \"" + cur_.value + "\"", cur_.position, cur_.value);
    }
    return root;
  }

 private:
  bool IsOp(std::string_view op) const { return cur_.kind == Tok::kOperator && cur_.value == op; }

  // Reads the next token. A `/` right after an operand divides; anywhere
  // else it opens a regex.
  [[gnu::noinline]] void Advance(bool operand_expected) {
    cur_ = lexer_.Next(operand_expected);
    if (cur_.kind == Tok::kOperator && (cur_.value == "!" || cur_.value == "~")) {
      throw Error("S0204", "Unknown operator: " + cur_.value, cur_.position, cur_.value);
    }
  }
  void AdvanceAfter() {
    const bool after_operand = cur_.kind == Tok::kName || cur_.kind == Tok::kVariable ||
                               cur_.kind == Tok::kString || cur_.kind == Tok::kNumber ||
                               cur_.kind == Tok::kValue || cur_.kind == Tok::kRegex ||
                               (cur_.kind == Tok::kOperator &&
                                (cur_.value == ")" || cur_.value == "]" || cur_.value == "}"));
    Advance(!after_operand);
  }

  void Expect(std::string_view op) {
    if (cur_.kind == Tok::kEnd) {
      throw Error("S0203", "Expected \"" + std::string(op) + "\" before end of expression",
                  cur_.position, std::string(op));
    }
    if (!IsOp(op)) {
      throw Error("S0202", "Expected \"" + std::string(op) + "\", got \"" + cur_.value + "\"",
                  cur_.position, cur_.value);
    }
    AdvanceAfter();
  }

  // Every nested operand is parsed by a call of Expression (through Nud or
  // Led), which counts them.
  struct Nesting {
    explicit Nesting(Parser* p) : parser(p) {
      if (++parser->depth_ > kMaxExpressionDepth) TooDeep(parser->cur_.position);
    }
    ~Nesting() { --parser->depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;
    Parser* parser;
  };

  NodePtr Expression(int rbp) {
    Nesting nesting(this);
    Token t = cur_;
    AdvanceAfter();
    NodePtr left = Nud(t);
    Measure(*left);
    // A chain of operators (`a + b + c`, `a.b.c`, `f()()`) grows the tree
    // here, without deeper recursion: measured one operator at a time.
    while (rbp < LeftBindingPower(cur_)) {
      t = cur_;
      AdvanceAfter();
      left = Led(t, left);
      Measure(*left);
    }
    return left;
  }

  // Sets `n.height` from its children's (measuring those the parser made
  // without going through Expression, which are at most two levels deep) and
  // fails past the limit.
  static int Measure(Node& n) {
    int below = 0;
    auto child = [&below](const NodePtr& c) {
      if (c) below = std::max(below, c->height > 0 ? c->height : Measure(*c));
    };
    child(n.lhs);
    child(n.rhs);
    child(n.cond);
    child(n.then);
    child(n.otherwise);
    child(n.del);
    for (const NodePtr& item : n.items) child(item);
    for (const auto& [k, v] : n.pairs) {
      child(k);
      child(v);
    }
    for (const SortTerm& term : n.terms) child(term.expr);
    n.height = below + 1;
    if (n.height > kMaxExpressionDepth) TooDeep(n.position);
    return n.height;
  }

  [[gnu::noinline]] NodePtr Nud(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd:
        throw Error("S0207", "Unexpected end of expression", t.position);
      case Tok::kName: {
        auto n = std::make_shared<Node>(NodeType::kName, t.position);
        n->str = t.value;
        return n;
      }
      case Tok::kVariable: {
        auto n = std::make_shared<Node>(NodeType::kVariable, t.position);
        n->str = t.value;
        return n;
      }
      case Tok::kString: {
        auto n = std::make_shared<Node>(NodeType::kString, t.position);
        n->literal = t.literal;
        n->str = t.value;
        return n;
      }
      case Tok::kNumber: {
        auto n = std::make_shared<Node>(NodeType::kNumber, t.position);
        n->literal = t.literal;
        return n;
      }
      case Tok::kValue: {
        auto n = std::make_shared<Node>(NodeType::kValue, t.position);
        n->literal = t.literal;
        return n;
      }
      case Tok::kRegex: {
        auto n = std::make_shared<Node>(NodeType::kRegex, t.position);
        n->regex = t.regex;
        n->str = t.value;
        return n;
      }
      case Tok::kOperator:
        break;
    }
    const std::string& op = t.value;
    if (op == "and" || op == "or" || op == "in") {  // field names in operand position
      auto n = std::make_shared<Node>(NodeType::kName, t.position);
      n->str = op;
      return n;
    }
    if (op == "-") {
      NodePtr operand = Expression(70);
      if (operand->type == NodeType::kNumber) {
        operand->literal = Value::Number(-operand->literal.number());
        return operand;
      }
      auto n = std::make_shared<Node>(NodeType::kUnary, t.position);
      n->op = "-";
      n->lhs = operand;
      return n;
    }
    if (op == "*") return std::make_shared<Node>(NodeType::kWildcard, t.position);
    if (op == "**") return std::make_shared<Node>(NodeType::kDescendant, t.position);
    if (op == "%") return std::make_shared<Node>(NodeType::kParent, t.position);
    if (op == "(") {
      auto n = std::make_shared<Node>(NodeType::kBlock, t.position);
      while (!IsOp(")")) {
        n->items.push_back(Expression(0));
        if (!IsOp(";")) break;
        AdvanceAfter();
      }
      Expect(")");
      return n;
    }
    if (op == "[") {
      auto n = std::make_shared<Node>(NodeType::kUnary, t.position);
      n->op = "[";
      if (!IsOp("]")) {
        for (;;) {
          NodePtr item = Expression(0);
          if (IsOp("..")) {
            auto range = std::make_shared<Node>(NodeType::kBinary, cur_.position);
            AdvanceAfter();
            range->op = "..";
            range->lhs = item;
            range->rhs = Expression(0);
            item = range;
          }
          n->items.push_back(item);
          if (!IsOp(",")) break;
          AdvanceAfter();
        }
      }
      Expect("]");
      return n;
    }
    if (op == "{") {
      auto n = std::make_shared<Node>(NodeType::kUnary, t.position);
      n->op = "{";
      n->pairs = ObjectPairs();
      return n;
    }
    if (op == "|") {
      auto n = std::make_shared<Node>(NodeType::kTransform, t.position);
      n->lhs = Expression(0);
      Expect("|");
      n->rhs = Expression(0);
      if (IsOp(",")) {
        AdvanceAfter();
        n->del = Expression(0);
      }
      Expect("|");
      return n;
    }
    throw Error("S0211", "The symbol " + op + " cannot be used as a unary operator", t.position,
                op);
  }

  std::vector<std::pair<NodePtr, NodePtr>> ObjectPairs() {
    std::vector<std::pair<NodePtr, NodePtr>> pairs;
    if (!IsOp("}")) {
      for (;;) {
        NodePtr key = Expression(0);
        Expect(":");
        NodePtr value = Expression(0);
        pairs.emplace_back(key, value);
        if (!IsOp(",")) break;
        AdvanceAfter();
      }
    }
    Expect("}");
    return pairs;
  }

  NodePtr Binary(const Token& t, const NodePtr& left, NodePtr right) {
    auto n = std::make_shared<Node>(NodeType::kBinary, t.position);
    n->op = t.value;
    n->lhs = left;
    n->rhs = std::move(right);
    return n;
  }

  [[gnu::noinline]] NodePtr Led(const Token& t, const NodePtr& left) {
    const std::string& op = t.value;
    if (op == "(") return Call(t, left);
    if (op == "[") {
      if (IsOp("]")) {  // `step[]`: keep singleton arrays
        Node* step = left.get();
        while (step->type == NodeType::kBinary && step->op == "[") step = step->lhs.get();
        step->keep_array = true;
        AdvanceAfter();
        return left;
      }
      NodePtr rhs = Expression(0);
      Expect("]");
      return Binary(t, left, rhs);
    }
    if (op == "{") {
      auto n = Binary(t, left, nullptr);
      n->pairs = ObjectPairs();
      return n;
    }
    if (op == "^") {
      auto n = Binary(t, left, nullptr);
      Expect("(");
      for (;;) {
        SortTerm term;
        if (IsOp("<")) {
          AdvanceAfter();
        } else if (IsOp(">")) {
          term.descending = true;
          AdvanceAfter();
        }
        term.expr = Expression(0);
        n->terms.push_back(term);
        if (!IsOp(",")) break;
        AdvanceAfter();
      }
      Expect(")");
      return n;
    }
    if (op == ":=") {
      if (left->type != NodeType::kVariable) {
        throw Error("S0212", "The left side of := must be a variable name (start with $)",
                    left->position);
      }
      auto n = std::make_shared<Node>(NodeType::kBind, t.position);
      n->str = left->str;
      n->lhs = left;
      n->rhs = Expression(LeftBindingPower(t) - 1);
      return n;
    }
    if (op == "?") {
      auto n = std::make_shared<Node>(NodeType::kCondition, t.position);
      n->cond = left;
      n->then = Expression(0);
      if (IsOp(":")) {
        AdvanceAfter();
        n->otherwise = Expression(0);
      }
      return n;
    }
    if (op == "?:") {
      auto n = std::make_shared<Node>(NodeType::kCondition, t.position);
      n->cond = left;
      n->then = left;
      n->otherwise = Expression(0);
      return n;
    }
    if (op == "??") {
      auto n = std::make_shared<Node>(NodeType::kCondition, t.position);
      auto exists = std::make_shared<Node>(NodeType::kCall, t.position);
      exists->lhs = std::make_shared<Node>(NodeType::kVariable, t.position);
      exists->lhs->str = "exists";
      exists->items.push_back(left);
      n->cond = exists;
      n->then = left;
      n->otherwise = Expression(0);
      return n;
    }
    if (op == "@" || op == "#") {
      NodePtr rhs = Expression(LeftBindingPower(t));
      if (rhs->type != NodeType::kVariable) {
        throw Error("S0214", "The right side of " + op + " must be a variable name (start with $)",
                    rhs->position, op);
      }
      return Binary(t, left, rhs);
    }
    if (op == "~>") {
      auto n = std::make_shared<Node>(NodeType::kApply, t.position);
      n->lhs = left;
      n->rhs = Expression(LeftBindingPower(t));
      return n;
    }
    if (IsBinaryOperator(op)) return Binary(t, left, Expression(LeftBindingPower(t)));
    throw Error("S0204", "Unknown operator: " + op, t.position, op);
  }

  [[gnu::noinline]] NodePtr Call(const Token& t, const NodePtr& left) {
    auto n = std::make_shared<Node>(NodeType::kCall, t.position);
    n->lhs = left;
    if (!IsOp(")")) {
      for (;;) {
        if (IsOp("?")) {
          n->type = NodeType::kPartial;
          n->items.push_back(std::make_shared<Node>(NodeType::kPlaceholder, cur_.position));
          AdvanceAfter();
        } else {
          n->items.push_back(Expression(0));
        }
        if (!IsOp(",")) break;
        AdvanceAfter();
      }
    }
    // The `)` is read with care: a lambda's signature `<...>` follows it raw.
    if (!IsOp(")")) Expect(")");
    const bool lambda =
        left->type == NodeType::kName && (left->str == "function" || left->str == "\u03BB");
    if (!lambda) {
      AdvanceAfter();
      return n;
    }
    return Lambda(t, *n);
  }

  // `function(params)<signature>{body}`, its parameters parsed as the call's
  // arguments and the `)` the current token.
  [[gnu::noinline]] NodePtr Lambda(const Token& t, const Node& n) {
    auto fn = std::make_shared<Node>(NodeType::kLambda, t.position);
    for (const NodePtr& p : n.items) {
      if (p->type != NodeType::kVariable) {
        throw Error("S0208",
                    "Parameter " + std::to_string(fn->params.size() + 1) +
                        " of function definition must be a variable name (start with $)",
                    p->position);
      }
      fn->params.push_back(p->str);
    }
    // Look at what follows `)` without tokenizing it: a signature is not
    // JSONata tokens.
    Advance(false);
    if (IsOp("<")) {
      lexer_.set_offset(lexer_.offset() - 1);
      std::string sig = lexer_.ScanSignature(lexer_.offset());
      fn->signature = Signature::Parse(sig);
      Advance(false);
    }
    Expect("{");
    fn->lhs = Expression(0);
    Expect("}");
    return fn;
  }

  Lexer lexer_;
  Token cur_;
  int depth_ = 0;  // calls of Expression under way
};

// --- processing -----------------------------------------------------------

NodePtr AsPath(const NodePtr& n) {
  if (n->type == NodeType::kPath) return n;
  auto path = std::make_shared<Node>(NodeType::kPath, n->position);
  path->items.push_back(n);
  return path;
}

// Wraps tail calls of a lambda's body for the trampoline.
NodePtr TailCallOptimize(const NodePtr& expr) {
  if (expr->type == NodeType::kCall && expr->stages.empty()) {
    auto thunk = std::make_shared<Node>(NodeType::kLambda, expr->position);
    thunk->thunk = true;
    thunk->lhs = expr;
    return thunk;
  }
  if (expr->type == NodeType::kCondition) {
    auto copy = std::make_shared<Node>(*expr);
    copy->then = TailCallOptimize(expr->then);
    if (expr->otherwise) copy->otherwise = TailCallOptimize(expr->otherwise);
    return copy;
  }
  if (expr->type == NodeType::kBlock && !expr->items.empty()) {
    auto copy = std::make_shared<Node>(*expr);
    copy->items.back() = TailCallOptimize(expr->items.back());
    return copy;
  }
  return expr;
}

// jsonata-js' name of a node type, the token of S0217.
const char* TypeName(NodeType t) {
  switch (t) {
    case NodeType::kPath:
      return "path";
    case NodeType::kBinary:
      return "binary";
    case NodeType::kUnary:
      return "unary";
    case NodeType::kName:
      return "name";
    case NodeType::kString:
      return "string";
    case NodeType::kNumber:
      return "number";
    case NodeType::kValue:
      return "value";
    case NodeType::kRegex:
      return "regex";
    case NodeType::kVariable:
      return "variable";
    case NodeType::kWildcard:
      return "wildcard";
    case NodeType::kDescendant:
      return "descendant";
    case NodeType::kParent:
      return "parent";
    case NodeType::kCondition:
      return "condition";
    case NodeType::kBlock:
      return "block";
    case NodeType::kBind:
      return "bind";
    case NodeType::kCall:
      return "function";
    case NodeType::kPartial:
      return "partial";
    case NodeType::kPlaceholder:
      return "operator";
    case NodeType::kLambda:
      return "lambda";
    case NodeType::kApply:
      return "apply";
    case NodeType::kTransform:
      return "transform";
    case NodeType::kSort:
      return "sort";
  }
  return "";
}

[[noreturn]] void NoParent(const Node& node) {
  throw Error("S0217",
              "The object representing the 'parent' cannot be derived from this expression",
              node.position, TypeName(node.type));
}

// jsonata-js' seekParent: moves `slot` back over `node`, a step (or what a
// block or path ends with); the name or wildcard where its level reaches 0
// binds its input for the `%` (reusing the label of a binding it has).
void SeekParent(Node* node, const SlotPtr& slot) {
  switch (node->type) {
    case NodeType::kName:
    case NodeType::kWildcard:
      if (--slot->level == 0) {
        if (node->ancestor) slot->label = node->ancestor->label;
        node->ancestor = slot;
        node->tuple = true;
      }
      return;
    case NodeType::kParent:
      ++slot->level;
      return;
    case NodeType::kBlock:
      if (!node->items.empty()) {
        node->tuple = true;
        SeekParent(node->items.back().get(), slot);
      }
      return;
    case NodeType::kPath: {
      node->tuple = true;
      size_t i = node->items.size();
      SeekParent(node->items[--i].get(), slot);
      while (slot->level > 0 && i > 0) SeekParent(node->items[--i].get(), slot);
      return;
    }
    default:
      NoParent(*node);
  }
}

// jsonata-js' pushAncestry: the `%`s `value` leaves unresolved become `into`'s.
void PushAncestry(Node* into, const Node& value) {
  into->seeking_parent.insert(into->seeking_parent.end(), value.seeking_parent.begin(),
                              value.seeking_parent.end());
  if (value.type == NodeType::kParent) into->seeking_parent.push_back(value.slot);
}

// jsonata-js' resolveAncestry: the `%`s of a path's last step go back over
// the steps before it (contiguous `@` steps count as one); those that get
// past the first step are the path's.
void ResolveAncestry(Node* path) {
  const Node& last = *path->items.back();
  std::vector<SlotPtr> slots = last.seeking_parent;
  if (last.type == NodeType::kParent) slots.push_back(last.slot);
  for (const SlotPtr& slot : slots) {
    size_t i = path->items.size() - 1;  // steps before the last still to visit
    while (slot->level > 0) {
      if (i == 0) {
        path->seeking_parent.push_back(slot);
        break;
      }
      Node* step = path->items[--i].get();
      while (i > 0 && !step->focus.empty() && !path->items[i - 1]->focus.empty()) {
        step = path->items[--i].get();
      }
      SeekParent(step, slot);
    }
  }
}

// jsonata-js' processAST. It recurses once per level of the tree, and a
// sanitizer build gives each local of a function its own stack slot: so that
// each level costs little stack, every kind of node has its own function,
// never inlined into Process.
class Processor {
 public:
  NodePtr Process(const NodePtr& expr);

 private:
  [[gnu::noinline]] NodePtr Path(const NodePtr& expr);       // a.b
  [[gnu::noinline]] NodePtr Predicate(const NodePtr& expr);  // a[b]
  [[gnu::noinline]] NodePtr GroupBy(const NodePtr& expr);    // a{k: v}
  [[gnu::noinline]] NodePtr OrderBy(const NodePtr& expr);    // a^(b)
  [[gnu::noinline]] NodePtr Focus(const NodePtr& expr);      // a@$v
  [[gnu::noinline]] NodePtr Index(const NodePtr& expr);      // a#$v
  [[gnu::noinline]] NodePtr Operator(const NodePtr& expr);   // the other binary operators
  [[gnu::noinline]] NodePtr Name(const NodePtr& expr);
  [[gnu::noinline]] NodePtr Unary(const NodePtr& expr);
  [[gnu::noinline]] NodePtr Call(const NodePtr& expr);  // also partial applications
  [[gnu::noinline]] NodePtr Lambda(const NodePtr& expr);
  [[gnu::noinline]] NodePtr Condition(const NodePtr& expr);
  [[gnu::noinline]] NodePtr Block(const NodePtr& expr);
  [[gnu::noinline]] NodePtr BindOrApply(const NodePtr& expr);
  [[gnu::noinline]] NodePtr Transform(const NodePtr& expr);
  [[gnu::noinline]] NodePtr Parent(const NodePtr& expr);

  int labels_ = 0;  // `%`s so far, for their labels
  int depth_ = 0;   // calls of Process under way
};

// The parser measured the tree, so this recursion is bounded already; the
// count only keeps it so whatever the parser lets through.
NodePtr Processor::Process(const NodePtr& expr) {
  if (depth_ >= kMaxExpressionDepth) TooDeep(expr->position);
  ++depth_;
  NodePtr result;
  switch (expr->type) {
    case NodeType::kBinary: {
      const std::string& op = expr->op;
      if (op == ".") {
        result = Path(expr);
      } else if (op == "[") {
        result = Predicate(expr);
      } else if (op == "{") {
        result = GroupBy(expr);
      } else if (op == "^") {
        result = OrderBy(expr);
      } else if (op == "@") {
        result = Focus(expr);
      } else if (op == "#") {
        result = Index(expr);
      } else {
        result = Operator(expr);
      }
      break;
    }
    case NodeType::kName:
      result = Name(expr);
      break;
    case NodeType::kUnary:
      result = Unary(expr);
      break;
    case NodeType::kCall:
    case NodeType::kPartial:
      result = Call(expr);
      break;
    case NodeType::kLambda:
      result = Lambda(expr);
      break;
    case NodeType::kCondition:
      result = Condition(expr);
      break;
    case NodeType::kBlock:
      result = Block(expr);
      break;
    case NodeType::kBind:
    case NodeType::kApply:
      result = BindOrApply(expr);
      break;
    case NodeType::kTransform:
      result = Transform(expr);
      break;
    case NodeType::kParent:
      result = Parent(expr);
      break;
    default:
      result = expr;
      break;
  }
  if (expr->keep_array) result->keep_array = true;
  --depth_;
  return result;
}

NodePtr Processor::Path(const NodePtr& expr) {
  NodePtr lstep = Process(expr->lhs);
  NodePtr result;
  if (lstep->type == NodeType::kPath) {
    result = lstep;
  } else {
    result = std::make_shared<Node>(NodeType::kPath, expr->position);
    result->items.push_back(lstep);
  }
  if (lstep->type == NodeType::kParent) result->seeking_parent = {lstep->slot};
  NodePtr rest = Process(expr->rhs);
  if (rest->type == NodeType::kPath) {
    result->items.insert(result->items.end(), rest->items.begin(), rest->items.end());
  } else {
    result->items.push_back(rest);
  }
  for (NodePtr& step : result->items) {
    if (step->type == NodeType::kNumber || step->type == NodeType::kValue) {
      throw Error("S0213", "The literal value cannot be used as a step within a path expression",
                  step->position);
    }
    if (step->type == NodeType::kString) {
      auto name = std::make_shared<Node>(*step);
      name->type = NodeType::kName;
      step = name;
    }
  }
  for (const NodePtr& step : result->items) {
    if (step->keep_array) result->keep_singleton_array = true;
  }
  auto cons = [](NodePtr& step) {
    if (step->type == NodeType::kUnary && step->op == "[") {
      auto copy = std::make_shared<Node>(*step);
      copy->cons_array = true;
      step = copy;
    }
  };
  cons(result->items.front());
  cons(result->items.back());
  ResolveAncestry(result.get());
  return result;
}

NodePtr Processor::Predicate(const NodePtr& expr) {
  NodePtr result = Process(expr->lhs);
  Node* step = result.get();
  if (result->type == NodeType::kPath) step = result->items.back().get();
  if (step->has_group) {
    throw Error("S0209", "A predicate cannot follow a grouping expression in a step",
                expr->position);
  }
  Stage stage;
  stage.expr = Process(expr->rhs);
  stage.position = expr->position;
  // A `%` in the predicate is the parent of the step's items: the step's input.
  if (!stage.expr->seeking_parent.empty()) {
    for (const SlotPtr& slot : stage.expr->seeking_parent) {
      if (slot->level == 1) {
        SeekParent(step, slot);
      } else {
        --slot->level;
      }
    }
    PushAncestry(step, *stage.expr);
  }
  step->stages.push_back(stage);
  return result;
}

NodePtr Processor::GroupBy(const NodePtr& expr) {
  NodePtr result = Process(expr->lhs);
  if (result->has_group) {
    throw Error("S0210", "Each step can only have one grouping expression", expr->position);
  }
  result->has_group = true;
  result->group_position = expr->position;
  for (const auto& [k, v] : expr->pairs) result->group.emplace_back(Process(k), Process(v));
  return result;
}

NodePtr Processor::OrderBy(const NodePtr& expr) {
  NodePtr result = AsPath(Process(expr->lhs));
  auto sort = std::make_shared<Node>(NodeType::kSort, expr->position);
  for (const SortTerm& t : expr->terms) {
    sort->terms.push_back({t.descending, Process(t.expr)});
    PushAncestry(sort.get(), *sort->terms.back().expr);
  }
  result->items.push_back(sort);
  ResolveAncestry(result.get());
  return result;
}

NodePtr Processor::Focus(const NodePtr& expr) {
  NodePtr result = Process(expr->lhs);
  Node* step = result.get();
  if (result->type == NodeType::kPath) step = result->items.back().get();
  if (!step->stages.empty()) {
    throw Error("S0215", "A context variable binding must precede any predicates on a step",
                expr->position);
  }
  if (step->type == NodeType::kSort) {
    throw Error("S0216", "A context variable binding must precede the 'order-by' clause on a step",
                expr->position);
  }
  if (expr->keep_array) step->keep_array = true;
  step->focus = expr->rhs->str;
  step->tuple = true;
  return result;
}

NodePtr Processor::Index(const NodePtr& expr) {
  NodePtr result = AsPath(Process(expr->lhs));
  Node* step = result->items.back().get();
  // Without predicates the index counts the step's results per input item;
  // after them, the whole stream so far.
  if (step->stages.empty()) {
    step->index_var = expr->rhs->str;
  } else {
    Stage stage;
    stage.is_index = true;
    stage.var = expr->rhs->str;
    stage.position = expr->position;
    step->stages.push_back(stage);
  }
  step->tuple = true;
  return result;
}

NodePtr Processor::Operator(const NodePtr& expr) {
  auto result = std::make_shared<Node>(*expr);
  result->lhs = Process(expr->lhs);
  result->rhs = Process(expr->rhs);
  PushAncestry(result.get(), *result->lhs);
  PushAncestry(result.get(), *result->rhs);
  return result;
}

NodePtr Processor::Name(const NodePtr& expr) {
  NodePtr result = AsPath(expr);
  if (expr->keep_array) result->keep_singleton_array = true;
  return result;
}

NodePtr Processor::Unary(const NodePtr& expr) {
  auto result = std::make_shared<Node>(*expr);
  if (expr->lhs) {
    result->lhs = Process(expr->lhs);
    PushAncestry(result.get(), *result->lhs);
  }
  for (NodePtr& item : result->items) {
    item = Process(item);
    PushAncestry(result.get(), *item);
  }
  for (auto& [k, v] : result->pairs) {
    k = Process(k);
    PushAncestry(result.get(), *k);
    v = Process(v);
    PushAncestry(result.get(), *v);
  }
  return result;
}

NodePtr Processor::Call(const NodePtr& expr) {
  auto result = std::make_shared<Node>(*expr);
  result->lhs = Process(expr->lhs);
  for (NodePtr& arg : result->items) {
    arg = Process(arg);
    PushAncestry(result.get(), *arg);
  }
  return result;
}

NodePtr Processor::Lambda(const NodePtr& expr) {
  auto result = std::make_shared<Node>(*expr);
  result->lhs = TailCallOptimize(Process(expr->lhs));
  return result;
}

NodePtr Processor::Condition(const NodePtr& expr) {
  auto result = std::make_shared<Node>(*expr);
  result->cond = Process(expr->cond);
  PushAncestry(result.get(), *result->cond);
  if (expr->then == expr->cond) {  // `a ?: b`: one subtree, its `%`s counted once
    result->then = result->cond;
  } else {
    result->then = Process(expr->then);
    PushAncestry(result.get(), *result->then);
  }
  if (expr->otherwise) {
    result->otherwise = Process(expr->otherwise);
    PushAncestry(result.get(), *result->otherwise);
  }
  return result;
}

NodePtr Processor::Block(const NodePtr& expr) {
  auto result = std::make_shared<Node>(*expr);
  for (NodePtr& item : result->items) {
    item = Process(item);
    PushAncestry(result.get(), *item);
  }
  return result;
}

NodePtr Processor::BindOrApply(const NodePtr& expr) {
  auto result = std::make_shared<Node>(*expr);
  result->lhs = Process(expr->lhs);
  result->rhs = Process(expr->rhs);
  if (expr->type == NodeType::kBind) PushAncestry(result.get(), *result->rhs);
  return result;
}

NodePtr Processor::Transform(const NodePtr& expr) {
  auto result = std::make_shared<Node>(*expr);
  result->lhs = Process(expr->lhs);
  result->rhs = Process(expr->rhs);
  if (expr->del) result->del = Process(expr->del);
  return result;
}

NodePtr Processor::Parent(const NodePtr& expr) {
  auto result = std::make_shared<Node>(NodeType::kParent, expr->position);
  result->slot = std::make_shared<Slot>();
  result->slot->label = "!" + std::to_string(labels_++);
  return result;
}

}  // namespace

NodePtr Parse(std::string_view text) {
  Parser parser(text);
  NodePtr expr = Processor().Process(parser.ParseAll());
  // A `%` with no step before it to be the parent of.
  if (expr->type == NodeType::kParent || !expr->seeking_parent.empty()) NoParent(*expr);
  return expr;
}

}  // namespace stepd::asl::jsonata
