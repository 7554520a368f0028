#include "jsonata_signature.h"

#include "jsonata_error.h"

namespace stepd::asl::jsonata {
namespace {

constexpr std::string_view kAll = "asnblfo";

bool Accepts(std::string_view types, char symbol) {
  if (symbol == 'm') return types.find('f') == std::string_view::npos || types.size() > 1;
  return types.find(symbol) != std::string_view::npos;
}

std::string Expand(char c) {
  switch (c) {
    case 'a':
    case 'x':
      return std::string(kAll);
    case 'j':
      return "asnblo";
    case 'u':
      return "snbl";
    default:
      return std::string(1, c);
  }
}

std::string SubtypeName(char c) {
  switch (c) {
    case 'n':
      return "numbers";
    case 's':
      return "strings";
    case 'b':
      return "booleans";
    case 'o':
      return "objects";
    case 'f':
      return "functions";
    case 'a':
      return "arrays";
    default:
      return "nulls";
  }
}

}  // namespace

char TypeSymbol(const Value& v) {
  switch (v.type()) {
    case Type::kUndefined:
      return 'm';
    case Type::kNull:
      return 'l';
    case Type::kBool:
      return 'b';
    case Type::kNumber:
      return 'n';
    case Type::kString:
      return 's';
    case Type::kArray:
      return 'a';
    case Type::kObject:
      return 'o';
    case Type::kFunction:
      return 'f';
  }
  return 'm';
}

std::shared_ptr<const Signature> Signature::Parse(std::string_view text) {
  auto sig = std::make_shared<Signature>();
  sig->text_ = std::string(text);
  size_t i = 0;
  if (i < text.size() && text[i] == '<') ++i;
  auto fail = [&](const char* code, const std::string& why) {
    throw Error(code, "Invalid function signature '" + std::string(text) + "': " + why,
                static_cast<int>(i));
  };
  while (i < text.size() && text[i] != ':' && text[i] != '>') {
    char c = text[i];
    switch (c) {
      case 'b':
      case 'n':
      case 's':
      case 'l':
      case 'o':
      case 'x':
      case 'j':
      case 'u':
      case 'f':
      case 'a': {
        Param p;
        p.types = Expand(c);
        p.is_array = c == 'a';
        sig->params_.push_back(p);
        ++i;
        break;
      }
      case '(': {
        size_t close = text.find(')', i);
        if (close == std::string_view::npos) fail("S0401", "unterminated choice");
        Param p;
        for (size_t k = i + 1; k < close; ++k) {
          if (text[k] == '<') fail("S0402", "choice groups cannot hold parameterised types");
          p.types += Expand(text[k]);
        }
        sig->params_.push_back(p);
        i = close + 1;
        break;
      }
      case '<': {
        if (sig->params_.empty()) fail("S0401", "type parameter without a type");
        char owner = sig->params_.back().is_array       ? 'a'
                     : sig->params_.back().types == "f" ? 'f'
                                                        : 0;
        if (owner == 0) fail("S0401", "type parameters apply only to arrays and functions");
        int depth = 1;
        size_t k = i + 1;
        for (; k < text.size() && depth > 0; ++k) {
          if (text[k] == '<') ++depth;
          if (text[k] == '>') --depth;
        }
        if (depth != 0) fail("S0401", "unterminated type parameter");
        if (owner == 'a') sig->params_.back().subtype = text[i + 1];
        i = k;
        break;
      }
      case '?':
      case '+':
      case '-': {
        if (sig->params_.empty()) fail("S0401", std::string("'") + c + "' without a type");
        Param& p = sig->params_.back();
        if (c == '?') p.optional = true;
        if (c == '+') p.one_or_more = true;
        if (c == '-') p.context = true;
        ++i;
        break;
      }
      default:
        fail("S0401", std::string("unknown type symbol '") + c + "'");
    }
  }
  return sig;
}

// Greedy with backtracking, as jsonata-js' regular expression over the
// symbols matches: each parameter takes as many arguments as it may.
bool Signature::Match(const std::vector<char>& symbols, size_t si, size_t pi,
                      std::vector<std::pair<size_t, size_t>>* spans) const {
  if (pi == params_.size()) return si == symbols.size();
  const Param& p = params_[pi];
  size_t max_take = 0;
  while (si + max_take < symbols.size() && Accepts(p.types, symbols[si + max_take]) &&
         (p.one_or_more || max_take < 1)) {
    ++max_take;
  }
  const size_t min_take = (p.optional || p.context) ? 0 : 1;
  for (size_t take = max_take + 1; take-- > min_take;) {
    (*spans)[pi] = {si, si + take};
    if (Match(symbols, si + take, pi + 1, spans)) return true;
    if (take == 0) break;
  }
  return false;
}

std::vector<Value> Signature::Validate(const std::vector<Value>& args, const Value& context,
                                       std::string_view name) const {
  std::vector<char> symbols;
  symbols.reserve(args.size());
  for (const Value& a : args) symbols.push_back(TypeSymbol(a));
  std::vector<std::pair<size_t, size_t>> spans(params_.size());
  if (!Match(symbols, 0, 0, &spans)) {
    // The first argument no prefix of the parameters accepts.
    size_t bad = 0;
    while (bad < symbols.size()) {
      std::vector<char> prefix(symbols.begin(), symbols.begin() + bad + 1);
      bool ok = false;
      for (size_t n = 1; n <= params_.size() && !ok; ++n) {
        Signature cut;
        cut.params_.assign(params_.begin(), params_.begin() + n);
        std::vector<std::pair<size_t, size_t>> s(n);
        ok = cut.Match(prefix, 0, 0, &s);
      }
      if (!ok) break;
      ++bad;
    }
    throw Error("T0410",
                "Argument " + std::to_string(bad + 1) + " of function " + std::string(name) +
                    " does not match function signature",
                -1, std::string(name));
  }
  // jsonata-js walks the arguments with one index: a parameter that matched
  // nothing still takes the next argument (its own quirk, kept: a skipped
  // optional shifts the later parameters) unless the context stands in.
  std::vector<Value> out;
  out.reserve(params_.size());
  size_t next = 0;
  for (size_t pi = 0; pi < params_.size(); ++pi) {
    const Param& p = params_[pi];
    auto [from, to] = spans[pi];
    if (from == to) {
      if (p.context) {
        if (context.is_defined() && !Accepts(p.types, TypeSymbol(context))) {
          throw Error("T0411",
                      "Context value is not a compatible type with argument " +
                          std::to_string(next + 1) + " of function " + std::string(name),
                      -1, std::string(name));
        }
        out.push_back(context);
      } else {
        out.push_back(next < args.size() ? args[next] : Value());
        ++next;
      }
      continue;
    }
    for (size_t k = from; k < to; ++k, ++next) {
      const Value& arg = next < args.size() ? args[next] : args[k];
      if (!p.is_array || arg.is_undefined()) {
        out.push_back(arg);
        continue;
      }
      if (p.subtype) {
        bool ok = true;
        if (arg.is_array()) {
          for (const Value& item : arg.items()) {
            if (TypeSymbol(item) != p.subtype) {
              ok = false;
              break;
            }
          }
        } else {
          ok = TypeSymbol(arg) == p.subtype;
        }
        if (!ok) {
          throw Error("T0412",
                      "Argument " + std::to_string(next + 1) + " of function " + std::string(name) +
                          " must be an array of " + SubtypeName(p.subtype),
                      -1, std::string(name));
        }
      }
      if (arg.is_array()) {
        out.push_back(arg);
      } else {
        Value wrapped = Value::MakeArray();
        wrapped.Push(arg);
        out.push_back(wrapped);
      }
    }
  }
  // Trailing undefined optionals are not arguments the function was given.
  while (!out.empty() && out.back().is_undefined() && out.size() > args.size()) out.pop_back();
  return out;
}

}  // namespace stepd::asl::jsonata
