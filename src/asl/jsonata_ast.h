#pragma once
// Private to src/asl/jsonata_*.cc: the parsed, processed form of a JSONata
// expression (jsonata-js' AST after its processAST pass: paths as step lists,
// predicates as stages, sort and group attached to their steps). Immutable
// once Parse returns; shared by every evaluation.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jsonata_signature.h"
#include "jsonata_value.h"

namespace stepd::asl::jsonata {

class Regex;
struct Node;
using NodePtr = std::shared_ptr<Node>;

enum class NodeType : uint8_t {
  kPath,         // steps
  kBinary,       // op, lhs, rhs: arithmetic, comparison, `and`, `or`, `in`, `&`, `..`
  kUnary,        // op "-" (lhs), "[" (items: array constructor), "{" (pairs: object)
  kName,         // str: a field name
  kString,       // literal
  kNumber,       // literal
  kValue,        // literal true, false, null
  kRegex,        // regex
  kVariable,     // str: name without `$` ("" is `$`, "$" is `$$`)
  kWildcard,     // *
  kDescendant,   // **
  kParent,       // %
  kCondition,    // cond ? then : else (else may be null)
  kBlock,        // ( e1; e2; ... ): items
  kBind,         // $var := rhs: str, rhs
  kCall,         // lhs(items)
  kPartial,      // lhs(items with kPlaceholder)
  kPlaceholder,  // `?` in a partial application
  kLambda,       // function($a, $b)<sig>{ body }: params, signature, lhs (body)
  kApply,        // lhs ~> rhs
  kTransform,    // | lhs | rhs, del |
  kSort,         // a path step: terms
};

// A predicate `[expr]` or an index binding `#$var` attached to a step.
struct Stage {
  bool is_index = false;
  NodePtr expr;     // filter
  std::string var;  // index binding
  int position = 0;
};

// What a `%` reads: the input of the step `level` steps back from where it
// stands, bound in the tuple stream under `label` ("!0", "!1"...). Processing
// (jsonata-js' seekParent) walks `level` down to 0 and may relabel a slot to
// share a step's existing binding; shared by the `%` and the step it binds.
struct Slot {
  std::string label;
  int level = 1;
};
using SlotPtr = std::shared_ptr<Slot>;

struct SortTerm {
  bool descending = false;
  NodePtr expr;
};

// Expressions nest at most this deep: parentheses, brackets, braces, calls,
// operands of operators (a chain `a + b + c` nests one level per operator),
// counted as the height of the parsed tree, and the parser's own recursion.
// Deeper text fails to parse with U1001, rather than overflowing the stack of
// the parser, of the processing pass and of every later walk of the tree
// (each level costs up to a few KB of stack in sanitizer builds). Real
// expressions nest a few dozen levels; the evaluator's default depth limit
// (JsonataOptions::max_depth, 1000) is above it.
inline constexpr int kMaxExpressionDepth = 500;

struct Node {
  NodeType type;
  int position = 0;  // character offset just past the token, as jsonata-js
  // While parsing: the height of the tree below and including this node
  // (1 for a leaf), 0 until the parser has measured it.
  int height = 0;
  std::string op;    // operator of kBinary/kUnary
  std::string str;   // name, variable, bind target
  Value literal;     // kString, kNumber, kValue
  std::shared_ptr<const Regex> regex;

  NodePtr lhs, rhs, cond, then, otherwise, del;
  std::vector<NodePtr> items;                      // steps, args, block, array items
  std::vector<std::pair<NodePtr, NodePtr>> pairs;  // object constructor
  std::vector<Stage> stages;                       // on a path step (or any node)
  std::vector<SortTerm> terms;                     // kSort

  // `expr{k: v}` grouping, attached to the expression (or the path).
  bool has_group = false;
  std::vector<std::pair<NodePtr, NodePtr>> group;
  int group_position = 0;

  // kLambda
  std::vector<std::string> params;
  std::shared_ptr<const Signature> signature;
  bool thunk = false;  // a tail call wrapped for the trampoline

  // Path and step flags (jsonata-js' names).
  bool keep_array = false;            // `step[]`
  bool keep_singleton_array = false;  // on a path with a `[]` step
  bool cons_array = false;            // an array constructor as first/last step
  bool tuple = false;                 // binds `@`/`#`/ancestor; path, block: yields tuples
  std::string focus;                  // `@$var`
  std::string index_var;              // `#$var` on a step without predicates
  SlotPtr slot;                       // kParent: the binding it reads
  SlotPtr ancestor;                   // a step: binds slot->label to its input
  // While processing: the slots of the `%`s below not resolved here (once
  // set, resolved ones stay listed, as jsonata-js' seekingParent).
  std::vector<SlotPtr> seeking_parent;

  explicit Node(NodeType t, int pos = 0) : type(t), position(pos) {}
};

// Parses and processes `text`. Throws Error (S0xxx) on a syntax error.
NodePtr Parse(std::string_view text);

}  // namespace stepd::asl::jsonata
