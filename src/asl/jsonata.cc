// The evaluator: jsonata-js' semantics over the processed tree
// (jsonata_ast.h). Paths evaluate step by step over sequences; steps that
// bind `@`/`#` variables or the input a `%` reads switch to a stream of
// tuples; lambdas close over their frame; tail calls run on a trampoline.

#include "stepd/asl/jsonata.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "jsonata_ast.h"
#include "jsonata_error.h"
#include "jsonata_functions.h"
#include "jsonata_regex.h"
#include "jsonata_signature.h"
#include "jsonata_value.h"

namespace stepd::asl {
namespace jsonata {

// The caller's variables and extra functions, converted on first use; a
// JsonataVariableCache keeps one from one evaluation to the next.
struct LazyVariables {
  const JsonataVariables* source = nullptr;
  const std::map<std::string, JsonataFunction>* functions = nullptr;
  std::unordered_map<std::string, Value> found;
  std::unordered_set<std::string> missing;

  const Value* Find(std::string_view name);
};

namespace {

// --- environments -------------------------------------------------------------

struct Frame;
using FramePtr = std::shared_ptr<Frame>;

// Variables of one scope. The outermost frame holds the built-ins (shared by
// every evaluation); the next the caller's bindings and `$$`.
struct Frame {
  FramePtr parent;
  const std::unordered_map<std::string_view, Value>* globals = nullptr;
  LazyVariables* lazy = nullptr;
  std::vector<std::pair<std::string, Value>> vars;

  explicit Frame(FramePtr p) : parent(std::move(p)) {}

  void Bind(const std::string& name, Value v) {
    for (auto& [k, val] : vars) {
      if (k == name) {
        val = std::move(v);
        return;
      }
    }
    vars.emplace_back(name, std::move(v));
  }
  const Value* Lookup(std::string_view name) const {
    for (const Frame* f = this; f; f = f->parent.get()) {
      for (const auto& [k, v] : f->vars) {
        if (k == name) return &v;
      }
      if (f->lazy) {
        if (const Value* v = f->lazy->Find(name)) return v;
      }
      if (f->globals) {
        auto it = f->globals->find(name);
        if (it != f->globals->end()) return &it->second;
      }
    }
    return nullptr;
  }
};

// --- function values ------------------------------------------------------------

struct LambdaFunction final : Function {
  const Node* node;  // kLambda, owned by the expression (or kept by the evaluator)
  FramePtr env;
  Value input;
  Kind kind() const override { return Kind::kLambda; }
  size_t arity() const override { return node->params.size(); }
};

struct BuiltinFunction final : Function {
  std::string name;
  std::shared_ptr<const Signature> signature;
  BuiltinImpl impl = nullptr;
  // An extra function from the caller (JsonataFunction), when impl is null.
  const JsonataFunction* extra = nullptr;
  size_t declared = 0;  // jsonata-js' JavaScript parameter count
  Kind kind() const override { return Kind::kBuiltin; }
  size_t arity() const override { return declared; }
};

struct PartialFunction final : Function {
  Value fn;
  std::vector<Value> args;
  std::vector<bool> placeholder;
  size_t holes = 0;
  Kind kind() const override { return Kind::kPartial; }
  size_t arity() const override { return holes; }
};

// Native closures made by the evaluator: function composition (`f ~> g`),
// a transform (`| pattern | update |`), a regex match's `next`.
struct NativeFunction final : Function {
  std::string name;
  size_t declared = 1;
  std::shared_ptr<const Signature> signature;
  std::function<Value(class Evaluator&, std::vector<Value>&, const Value& input)> call;
  Kind kind() const override { return Kind::kBuiltin; }
  size_t arity() const override { return declared; }
};

const std::unordered_map<std::string_view, Value>& Globals() {
  static const auto* globals = [] {
    auto* m = new std::unordered_map<std::string_view, Value>();
    for (const BuiltinSpec& spec : StandardLibrary()) {
      auto f = std::make_shared<BuiltinFunction>();
      f->name = std::string(spec.name);
      f->signature = Signature::Parse(spec.signature);
      f->impl = spec.impl;
      f->declared = spec.arity;
      (*m)[spec.name] = Value::Func(f);
    }
    return m;
  }();
  return *globals;
}

bool IsInteger(double d) { return std::isfinite(d) && d == std::floor(d); }

std::string Excerpt(const Value& v) {
  std::string s;
  try {
    s = StringOf(v);
  } catch (const Error&) {
    s = "(a number)";
  }
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

// --- the evaluator -----------------------------------------------------------

class Evaluator {
 public:
  explicit Evaluator(const JsonataOptions& options) : options_(options) {
    stack_base_ = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  }

  Value Eval(const Node& n, const Value& input, const FramePtr& env, bool as_step = false);
  Value Apply(const Value& fn, std::vector<Value> args, const Value& input, const FramePtr& env);

  // Lambdas hold their frame and frames hold lambdas (`$f := function...`):
  // reference cycles. Every frame is registered here and emptied when the
  // evaluation ends, which breaks them.
  FramePtr NewFrame(FramePtr parent) {
    auto frame = std::make_shared<Frame>(std::move(parent));
    frames_.push_back(frame);
    if (frames_.size() >= 2 * frames_live_ + 1024) {
      std::erase_if(frames_, [](const std::weak_ptr<Frame>& f) { return f.expired(); });
      frames_live_ = frames_.size();
    }
    return frame;
  }
  ~Evaluator() {
    for (const std::weak_ptr<Frame>& weak : frames_) {
      if (FramePtr f = weak.lock()) {
        std::vector<std::pair<std::string, Value>> vars;
        vars.swap(f->vars);  // destroyed after the frame's lock is released
      }
    }
  }

  // Read on first use (most expressions never ask): the same for the whole
  // evaluation, as in jsonata-js.
  double now_ms() const {
    if (!now_ms_) {
      now_ms_ = options_.now_ms
                    ? static_cast<double>(options_.now_ms())
                    : static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    }
    return *now_ms_;
  }
  // One engine per thread, seeded once: seeding costs a system call, too much per evaluation.
  double Random() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0, 1)(rng);
  }
  // Called every 1024 steps. The clock starts at the first call: reading it
  // for every evaluation costs more than most evaluations (the first 1024
  // steps, well under a millisecond, go uncounted).
  void CheckTime() {
    if (options_.time_limit_ms <= 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (!start_) start_ = now;
    if (now - *start_ > std::chrono::milliseconds(options_.time_limit_ms)) {
      throw Error("U1002",
                  "Expression evaluation timeout: " + std::to_string(options_.time_limit_ms) +
                      " ms. Check for infinite loop");
    }
  }

 private:
  struct DepthGuard {
    Evaluator* ev;
    explicit DepthGuard(Evaluator* e, int position) : ev(e) {
      const auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
      if (ev->stack_base_ > here && ev->stack_base_ - here > kStackBudget) {
        throw Error("U1001",
                    "Stack overflow error: the expression nests deeper than the evaluation's "
                    "stack allows",
                    position);
      }
      if (++ev->depth_ > ev->options_.max_depth) {
        --ev->depth_;
        throw Error("U1001",
                    "Stack overflow error: the expression nests deeper than " +
                        std::to_string(ev->options_.max_depth) + " levels",
                    position);
      }
      if ((++ev->ticks_ & 1023) == 0) ev->CheckTime();
    }
    ~DepthGuard() { --ev->depth_; }
  };

  Value EvalNode(const Node& n, const Value& input, const FramePtr& env);
  Value Path(const Node& n, const Value& input, const FramePtr& env);
  Value Step(const Node& step, const Value& input, const FramePtr& env, bool last);
  Value TupleStep(const Node& step, const Value& input, const Value& tuples, const FramePtr& env);
  Value Stages(const std::vector<Stage>& stages, Value input, const FramePtr& env);
  Value Filter(const Node& predicate, const Value& input, const FramePtr& env);
  Value Binary(const Node& n, const Value& input, const FramePtr& env);
  Value Unary(const Node& n, const Value& input, const FramePtr& env);
  Value Group(const std::vector<std::pair<NodePtr, NodePtr>>& pairs, int position,
              const Value& input, const FramePtr& env);
  Value Sort(const Node& n, const Value& input, const FramePtr& env);
  Value Call(const Node& n, const Value& input, const FramePtr& env,
             const Value* applied = nullptr);
  Value Partial(const Node& n, const Value& input, const FramePtr& env);
  Value ApplyOperator(const Node& n, const Value& input, const FramePtr& env);
  Value Transform(const Node& n, const Value& input, const FramePtr& env);
  Value ApplyInner(const Value& fn, std::vector<Value>& args, const Value& input,
                   const FramePtr& env);
  FramePtr FrameFromTuple(const FramePtr& env, const Value& tuple);

  const JsonataOptions& options_;
  mutable std::optional<double> now_ms_;

 public:
  // Expressions parsed by $eval: lambdas made from them may outlive the call.
  std::vector<NodePtr> kept_;

 private:
  std::optional<std::chrono::steady_clock::time_point> start_;
  int depth_ = 0;
  uint32_t ticks_ = 0;
  std::vector<std::weak_ptr<Frame>> frames_;
  size_t frames_live_ = 0;
  // Whatever the depth limit, evaluation stops before it uses this much of
  // the calling thread's stack (threads have 8 MB by default; sanitizer
  // builds use about three times as much per level).
  static constexpr uintptr_t kStackBudget = 3 << 20;
  uintptr_t stack_base_ = 0;
};

class Context final : public CallContext {
 public:
  Context(Evaluator& ev, const Value& input, const FramePtr& env)
      : ev_(ev), input_(input), env_(env) {}
  Value Apply(const Value& fn, std::vector<Value> args) override {
    return ev_.Apply(fn, std::move(args), input_, env_);
  }
  const Value& input() const override { return input_; }
  Value Eval(const std::string& expr, const Value& input) override {
    NodePtr ast;
    try {
      ast = Parse(expr);
      ev_.kept_.push_back(ast);
    } catch (const Error& e) {
      throw Error("D3120", "Syntax error in expression passed to function eval: " + e.message());
    }
    try {
      return ev_.Eval(*ast, input, env_);
    } catch (const Error& e) {
      if (e.code() == "U1001" || e.code() == "U1002") throw;
      throw Error("D3121", "Dynamic error evaluating the expression passed to function eval: " +
                               e.message());
    }
  }
  double NowMillis() override { return ev_.now_ms(); }
  double Random() override { return ev_.Random(); }
  void CheckLimits() override { ev_.CheckTime(); }

 private:
  Evaluator& ev_;
  const Value& input_;
  const FramePtr& env_;
};

// jsonata-js' lookup: the member `key` of an object; of an array, the
// members of its items (recursively), flattened one level into a sequence.
// `depth`: the level of `input` if it is an array (jsonata_value.h).
Value Lookup(const Value& input, const std::string& key, int depth = 1) {
  if (!input.is_array()) return input.Get(key);
  CheckValueDepth(depth);
  Value out = Value::MakeSequence();
  for (const Value& item : input.items()) {
    Value v = Lookup(item, key, depth + 1);
    if (v.is_array()) {
      for (const Value& x : v.items()) out.Push(x);
    } else if (v.is_defined()) {
      out.Push(v);
    }
  }
  return out;
}

Value SequenceOf(const Value& v) {
  Value seq = Value::MakeSequence();
  if (v.is_defined()) seq.Push(v);
  return seq;
}

// A finished sequence, as jsonata-js' evaluate() leaves it.
Value Settle(Value result, bool keep_array) {
  if (!result.is_sequence() || result.array().tuple_stream) return result;
  if (keep_array) result.mutable_array().keep_singleton = true;
  const auto& items = result.items();
  if (items.empty()) return Value();
  if (items.size() == 1 && !result.array().keep_singleton) return items[0];
  return result;
}

Value Evaluator::Eval(const Node& n, const Value& input, const FramePtr& env, bool as_step) {
  DepthGuard guard(this, n.position);
  Value result = EvalNode(n, input, env);
  if (!as_step && n.type != NodeType::kPath) {
    for (const Stage& stage : n.stages) {
      if (!stage.is_index) result = Filter(*stage.expr, result, env);
    }
    if (n.has_group) result = Group(n.group, n.group_position, result, env);
  }
  return Settle(std::move(result), n.keep_array);
}

Value Evaluator::EvalNode(const Node& n, const Value& input, const FramePtr& env) {
  switch (n.type) {
    case NodeType::kPath:
      return Path(n, input, env);
    case NodeType::kBinary:
      return Binary(n, input, env);
    case NodeType::kUnary:
      return Unary(n, input, env);
    case NodeType::kName:
      return Lookup(input, n.str);
    case NodeType::kString:
    case NodeType::kNumber:
    case NodeType::kValue:
      return n.literal;
    case NodeType::kRegex:
      return Value::Func(std::make_shared<RegexFunction>(n.regex));
    case NodeType::kVariable: {
      if (n.str.empty()) {
        if (input.is_array() && input.array().outer_wrapper && !input.items().empty()) {
          return input.items()[0];
        }
        return input;
      }
      const Value* v = env->Lookup(n.str);
      return v ? *v : Value();
    }
    case NodeType::kWildcard: {
      Value out = Value::MakeSequence();
      Value in = input;
      if (in.is_array() && in.array().outer_wrapper && !in.items().empty()) in = in.items()[0];
      if (in.is_object()) {
        for (const auto& [k, v] : in.object().members()) {
          if (v.is_array()) {
            std::function<void(const Value&, int)> flat = [&](const Value& x, int depth) {
              if (x.is_array()) {
                CheckValueDepth(depth);
                for (const Value& y : x.items()) flat(y, depth + 1);
              } else {
                out.Push(x);
              }
            };
            flat(v, 2);
          } else {
            out.Push(v);
          }
        }
      }
      return out;
    }
    case NodeType::kDescendant: {
      Value out = Value::MakeSequence();
      std::function<void(const Value&, int)> walk = [&](const Value& v, int depth) {
        if (!v.is_array()) out.Push(v);
        if (v.is_array() || v.is_object()) CheckValueDepth(depth);
        if (v.is_array()) {
          for (const Value& x : v.items()) walk(x, depth + 1);
        } else if (v.is_object()) {
          for (const auto& [k, x] : v.object().members()) walk(x, depth + 1);
        }
      };
      if (input.is_undefined()) return out;
      walk(input, 1);
      if (out.items().size() == 1) return out.items()[0];
      return out;
    }
    case NodeType::kCondition: {
      Value c = Eval(*n.cond, input, env);
      if (Truthy(c)) return Eval(*n.then, input, env);
      if (n.otherwise) return Eval(*n.otherwise, input, env);
      return Value();
    }
    case NodeType::kBlock: {
      FramePtr frame = NewFrame(env);
      Value result;
      for (const NodePtr& item : n.items) result = Eval(*item, input, frame);
      return result;
    }
    case NodeType::kBind: {
      Value v = Eval(*n.rhs, input, env);
      env->Bind(n.str, v);
      return v;
    }
    case NodeType::kCall:
      return Call(n, input, env);
    case NodeType::kPartial:
      return Partial(n, input, env);
    case NodeType::kLambda: {
      auto f = std::make_shared<LambdaFunction>();
      f->node = &n;
      f->env = env;
      f->input = input;
      return Value::Func(f);
    }
    case NodeType::kApply:
      return ApplyOperator(n, input, env);
    case NodeType::kTransform:
      return Transform(n, input, env);
    case NodeType::kSort:
      return Sort(n, input, env);
    case NodeType::kParent: {  // the binding of the step it resolved to (jsonata_parser.cc)
      const Value* v = env->Lookup(n.slot->label);
      return v ? *v : Value();
    }
    case NodeType::kPlaceholder:
      break;
  }
  throw Error("S0206", "Unknown expression type", n.position);
}

// --- paths -----------------------------------------------------------------

Value Evaluator::Path(const Node& n, const Value& input, const FramePtr& env) {
  Value sequence;
  if (input.is_array() && n.items[0]->type != NodeType::kVariable) {
    sequence = input;
  } else {
    sequence = Value::MakeSequence();  // holds the input even when undefined
    sequence.Push(input);
  }
  Value result;
  bool tuple_stream = false;
  Value tuples;
  for (size_t i = 0; i < n.items.size(); ++i) {
    const Node& step = *n.items[i];
    if (step.tuple) tuple_stream = true;
    if (i == 0 && step.cons_array) {
      result = Eval(step, sequence, env);
    } else if (tuple_stream) {
      tuples = TupleStep(step, sequence, tuples, env);
    } else {
      result = Step(step, sequence, env, i == n.items.size() - 1);
    }
    if (!tuple_stream && (result.is_undefined() || (result.is_array() && result.items().empty()))) {
      break;
    }
    if (step.focus.empty()) {
      // Steps yield sequences; a first step that is an array constructor
      // with a predicate ([{"b":5}][0].b) may yield a lone value, and
      // jsonata-js then steps over no items: the path is undefined.
      sequence = result.is_array() ? result : Value::MakeSequence();
    }
  }
  if (tuple_stream) {
    if (n.tuple) {
      result = tuples;
    } else {
      result = Value::MakeSequence();
      if (tuples.is_array()) {
        for (const Value& t : tuples.items()) result.Push(t.Get("@"));
      }
    }
  }
  if (n.keep_singleton_array && result.is_array()) {
    if (result.array().cons && !result.array().sequence) result = SequenceOf(result);
    if (result.is_sequence()) result.mutable_array().keep_singleton = true;
  }
  if (n.has_group) result = Group(n.group, n.group_position, tuple_stream ? tuples : result, env);
  return result;
}

Value Evaluator::Step(const Node& step, const Value& input, const FramePtr& env, bool last) {
  if (step.type == NodeType::kSort) {
    Value sorted = Sort(step, input, env);
    return Stages(step.stages, sorted, env);
  }
  std::vector<Value> results;
  const std::vector<Value>& items = input.items();
  results.reserve(items.size());
  for (const Value& item : items) {
    Value res = Eval(step, item, env, /*as_step=*/true);
    for (const Stage& stage : step.stages) {
      if (!stage.is_index) res = Filter(*stage.expr, res, env);
    }
    if (res.is_defined()) results.push_back(std::move(res));
  }
  if (last && results.size() == 1 && results[0].is_array() && !results[0].is_sequence()) {
    return results[0];
  }
  Value out = Value::MakeSequence();
  for (Value& res : results) {
    if (!res.is_array() || res.array().cons) {
      out.Push(std::move(res));
    } else {
      for (const Value& v : res.items()) out.Push(v);
    }
  }
  return out;
}

FramePtr Evaluator::FrameFromTuple(const FramePtr& env, const Value& tuple) {
  FramePtr frame = NewFrame(env);
  if (tuple.is_object()) {
    for (const auto& [k, v] : tuple.object().members()) frame->Bind(k, v);
  }
  return frame;
}

Value Evaluator::Stages(const std::vector<Stage>& stages, Value input, const FramePtr& env) {
  for (const Stage& stage : stages) {
    if (!stage.is_index) {
      input = Filter(*stage.expr, input, env);
      continue;
    }
    if (!input.is_array()) continue;
    Value out = Value::MakeSequence();
    out.mutable_array().tuple_stream = input.array().tuple_stream;
    size_t i = 0;
    for (const Value& tuple : input.items()) {
      Value t = Value::MakeObject();
      for (const auto& [k, v] : tuple.object().members()) t.mutable_object().Set(k, v);
      t.mutable_object().Set(stage.var, Value::Number(static_cast<double>(i++)));
      out.Push(t);
    }
    input = out;
  }
  return input;
}

Value Evaluator::TupleStep(const Node& step, const Value& input, const Value& tuples_in,
                           const FramePtr& env) {
  if (step.type == NodeType::kSort) {
    Value result;
    if (tuples_in.is_defined()) {
      result = Sort(step, tuples_in, env);
    } else {
      Value sorted = Sort(step, input, env);
      result = Value::MakeSequence();
      result.mutable_array().tuple_stream = true;
      size_t i = 0;
      for (const Value& item : sorted.is_array() ? sorted.items() : std::vector<Value>{sorted}) {
        Value t = Value::MakeObject();
        t.mutable_object().Set("@", item);
        if (!step.index_var.empty()) {
          t.mutable_object().Set(step.index_var, Value::Number(static_cast<double>(i)));
        }
        ++i;
        result.Push(t);
      }
    }
    return Stages(step.stages, result, env);
  }
  Value tuples = tuples_in;
  if (tuples.is_undefined()) {
    tuples = Value::MakeSequence();
    for (const Value& item : input.items()) {
      Value t = Value::MakeObject();
      t.mutable_object().Set("@", item);
      tuples.Push(t);
    }
  }
  Value result = Value::MakeSequence();
  result.mutable_array().tuple_stream = true;
  for (const Value& tb : tuples.items()) {
    FramePtr step_env = FrameFromTuple(env, tb);
    Value res = Eval(step, tb.Get("@"), step_env, /*as_step=*/true);
    if (res.is_undefined()) continue;
    const bool res_tuples = res.is_array() && res.array().tuple_stream;
    std::vector<Value> list = res.is_array() ? res.items() : std::vector<Value>{res};
    for (size_t bb = 0; bb < list.size(); ++bb) {
      Value tuple = Value::MakeObject();
      for (const auto& [k, v] : tb.object().members()) tuple.mutable_object().Set(k, v);
      if (res_tuples) {
        for (const auto& [k, v] : list[bb].object().members()) tuple.mutable_object().Set(k, v);
      } else {
        if (!step.focus.empty()) {
          tuple.mutable_object().Set(step.focus, list[bb]);
          tuple.mutable_object().Set("@", tb.Get("@"));
        } else {
          tuple.mutable_object().Set("@", list[bb]);
        }
        if (!step.index_var.empty()) {
          tuple.mutable_object().Set(step.index_var, Value::Number(static_cast<double>(bb)));
        }
        if (step.ancestor) tuple.mutable_object().Set(step.ancestor->label, tb.Get("@"));
      }
      result.Push(tuple);
    }
  }
  return Stages(step.stages, result, env);
}

Value Evaluator::Filter(const Node& predicate, const Value& input, const FramePtr& env) {
  Value results = Value::MakeSequence();
  const bool tuples = input.is_array() && input.array().tuple_stream;
  if (tuples) results.mutable_array().tuple_stream = true;
  std::vector<Value> single;
  const std::vector<Value>* items;
  if (input.is_array()) {
    items = &input.items();
  } else {
    if (input.is_defined()) single.push_back(input);
    items = &single;
  }
  const auto n = static_cast<double>(items->size());
  if (predicate.type == NodeType::kNumber && predicate.stages.empty()) {
    double index = std::floor(predicate.literal.number());
    if (index < 0) index += n;
    if (index >= 0 && index < n) {
      const Value& item = (*items)[static_cast<size_t>(index)];
      if (item.is_array()) return item;
      results.Push(item);
    }
    return results;
  }
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    Value context = item;
    FramePtr frame = env;
    if (tuples) {
      context = item.Get("@");
      frame = FrameFromTuple(env, item);
    }
    Value res = Eval(predicate, context, frame);
    if (res.is_number()) {
      double k = std::floor(res.number());
      if (k < 0) k += n;
      if (k == static_cast<double>(i)) results.Push(item);
      continue;
    }
    if (res.is_array() && !res.items().empty() &&
        std::all_of(res.items().begin(), res.items().end(),
                    [](const Value& v) { return v.is_number(); })) {
      for (const Value& v : res.items()) {
        double k = std::floor(v.number());
        if (k < 0) k += n;
        if (k == static_cast<double>(i)) results.Push(item);
      }
      continue;
    }
    if (Truthy(res)) results.Push(item);
  }
  return results;
}

// --- operators -----------------------------------------------------------------

bool StrictEqual(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return a.boolean() == b.boolean();
    case Type::kNumber:
      return a.number() == b.number();
    case Type::kString:
      return a.string() == b.string();
    default:
      return a.heap() == b.heap();
  }
}

Value Evaluator::Binary(const Node& n, const Value& input, const FramePtr& env) {
  const std::string& op = n.op;
  if (op == "and" || op == "or") {
    const bool l = Truthy(Eval(*n.lhs, input, env));
    if (op == "and" && !l) return Value::Bool(false);
    if (op == "or" && l) return Value::Bool(true);
    return Value::Bool(Truthy(Eval(*n.rhs, input, env)));
  }
  Value lhs = Eval(*n.lhs, input, env);
  Value rhs = Eval(*n.rhs, input, env);
  const char c0 = op[0];
  if (op.size() == 1 && (c0 == '+' || c0 == '-' || c0 == '*' || c0 == '/' || c0 == '%')) {
    if (lhs.is_defined() && !lhs.is_number()) {
      throw Error("T2001", "The left side of the " + op + " operator must evaluate to a number",
                  n.position, op);
    }
    if (rhs.is_defined() && !rhs.is_number()) {
      throw Error("T2002", "The right side of the " + op + " operator must evaluate to a number",
                  n.position, op);
    }
    if (lhs.is_undefined() || rhs.is_undefined()) return Value();
    const double a = lhs.number(), b = rhs.number();
    if (!std::isfinite(a) || !std::isfinite(b)) {
      throw Error("D1001", "Number out of range: an operand of " + op + " is not finite",
                  n.position, op);
    }
    double r = 0;
    switch (c0) {
      case '+':
        r = a + b;
        break;
      case '-':
        r = a - b;
        break;
      case '*':
        r = a * b;
        break;
      case '/':
        r = a / b;
        break;
      case '%':
        r = std::fmod(a, b);
        break;
    }
    return Value::Number(r);
  }
  if (op == "=" || op == "!=") {
    if (lhs.is_undefined() || rhs.is_undefined()) return Value::Bool(false);
    const bool eq = DeepEqual(lhs, rhs);
    return Value::Bool(op == "=" ? eq : !eq);
  }
  if (op == "<" || op == "<=" || op == ">" || op == ">=") {
    auto comparable = [](const Value& v) {
      return v.is_undefined() || v.is_string() || v.is_number();
    };
    if (!comparable(lhs) || !comparable(rhs)) {
      throw Error("T2010",
                  "The expressions either side of operator " + op +
                      " must evaluate to numeric or string values",
                  n.position, op);
    }
    if (lhs.is_undefined() || rhs.is_undefined()) return Value();
    if (lhs.type() != rhs.type()) {
      throw Error("T2009",
                  "The values " + Excerpt(lhs) + " and " + Excerpt(rhs) +
                      " either side of operator " + op + " must be of the same data type",
                  n.position, op);
    }
    int cmp;
    if (lhs.is_number()) {
      cmp = lhs.number() < rhs.number() ? -1 : lhs.number() > rhs.number() ? 1 : 0;
    } else {
      cmp = lhs.string().compare(rhs.string());
      cmp = cmp < 0 ? -1 : cmp > 0 ? 1 : 0;
    }
    if (op == "<") return Value::Bool(cmp < 0);
    if (op == "<=") return Value::Bool(cmp <= 0);
    if (op == ">") return Value::Bool(cmp > 0);
    return Value::Bool(cmp >= 0);
  }
  if (op == "&") {
    std::string s = lhs.is_undefined() ? "" : StringOf(lhs);
    s += rhs.is_undefined() ? "" : StringOf(rhs);
    return Value::String(std::move(s));
  }
  if (op == "in") {
    if (lhs.is_undefined() || rhs.is_undefined()) return Value::Bool(false);
    if (!rhs.is_array()) return Value::Bool(StrictEqual(lhs, rhs));
    for (const Value& v : rhs.items()) {
      if (StrictEqual(lhs, v)) return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  if (op == "..") {
    if (lhs.is_defined() && !(lhs.is_number() && IsInteger(lhs.number()))) {
      throw Error("T2003", "The left side of the range operator (..) must evaluate to an integer",
                  n.position, op);
    }
    if (rhs.is_defined() && !(rhs.is_number() && IsInteger(rhs.number()))) {
      throw Error("T2004", "The right side of the range operator (..) must evaluate to an integer",
                  n.position, op);
    }
    if (lhs.is_undefined() || rhs.is_undefined()) return Value();
    const double a = lhs.number(), b = rhs.number();
    if (a > b) return Value();
    if (b - a + 1 > 1e7) {
      throw Error("D2014",
                  "The size of the sequence allocated by the range operator (..) must not exceed "
                  "1e7",
                  n.position, op);
    }
    Value out = Value::MakeSequence();
    out.mutable_array().items.reserve(static_cast<size_t>(b - a + 1));
    // Ten million items take a while: the time limit holds inside the loop.
    size_t made = 0;
    for (double x = a; x <= b; ++x) {
      if ((++made & 0xffff) == 0) CheckTime();
      out.Push(Value::Number(x));
    }
    return out;
  }
  throw Error("S0204", "Unknown operator: " + op, n.position, op);
}

Value Evaluator::Unary(const Node& n, const Value& input, const FramePtr& env) {
  if (n.op == "-") {
    Value v = Eval(*n.lhs, input, env);
    if (v.is_undefined()) return v;
    if (!v.is_number()) {
      throw Error("D1002", "Cannot negate a non-numeric value: " + Excerpt(v), n.position, "-");
    }
    return Value::Number(-v.number());
  }
  if (n.op == "[") {
    Value out = Value::MakeArray();
    for (const NodePtr& item : n.items) {
      Value v = Eval(*item, input, env);
      if (v.is_undefined()) continue;
      if (item->type == NodeType::kUnary && item->op == "[") {
        out.Push(v);
      } else if (v.is_array()) {
        for (const Value& x : v.items()) out.Push(x);
      } else {
        out.Push(v);
      }
    }
    if (n.cons_array) out.mutable_array().cons = true;
    return out;
  }
  return Group(n.pairs, n.position, input, env);
}

Value Evaluator::Group(const std::vector<std::pair<NodePtr, NodePtr>>& pairs, int position,
                       const Value& input, const FramePtr& env) {
  const bool reduce = input.is_array() && input.array().tuple_stream;
  std::vector<Value> items;
  if (input.is_array()) {
    items = input.items();
  } else {
    items.push_back(input);
  }
  if (items.empty()) items.emplace_back();
  struct Entry {
    Value data;
    size_t pair;
  };
  std::vector<std::pair<std::string, Entry>> groups;
  std::unordered_map<std::string, size_t> where;
  for (const Value& item : items) {
    FramePtr frame = reduce ? FrameFromTuple(env, item) : env;
    for (size_t p = 0; p < pairs.size(); ++p) {
      Value key = Eval(*pairs[p].first, reduce ? item.Get("@") : item, frame);
      if (key.is_undefined()) continue;
      if (!key.is_string()) {
        throw Error("T1003",
                    "Key in object structure must evaluate to a string; got: " + Excerpt(key),
                    position);
      }
      auto it = where.find(key.string());
      if (it == where.end()) {
        where.emplace(key.string(), groups.size());
        groups.push_back({key.string(), Entry{item, p}});
        continue;
      }
      Entry& e = groups[it->second].second;
      if (e.pair != p) {
        throw Error("D1009", "Multiple key definitions evaluate to same key: " + key.string(),
                    position);
      }
      e.data = Append(e.data, item);
    }
  }
  Value result = Value::MakeObject();
  for (auto& [key, entry] : groups) {
    Value context = entry.data;
    FramePtr frame = env;
    if (reduce) {
      // Merge the group's tuples: each binding becomes the sequence of its values.
      Value merged = Value::MakeObject();
      const std::vector<Value> tuples =
          entry.data.is_array() ? entry.data.items() : std::vector<Value>{entry.data};
      for (size_t i = 0; i < tuples.size(); ++i) {
        // An empty tuple stream groups one undefined item: it binds nothing.
        if (!tuples[i].is_object()) continue;
        for (const auto& [k, v] : tuples[i].object().members()) {
          if (i == 0) {
            merged.mutable_object().Set(k, v);
          } else {
            Value so_far = merged.Get(k);
            merged.mutable_object().Set(k, Value());  // drop the member's reference
            merged.mutable_object().Set(k, Append(std::move(so_far), v));
          }
        }
      }
      context = merged.Get("@");
      merged.mutable_object().Erase("@");
      frame = FrameFromTuple(env, merged);
    }
    Value v = Eval(*pairs[entry.pair].second, context, frame);
    if (v.is_defined()) result.mutable_object().Set(key, v);
  }
  return result;
}

Value Evaluator::Sort(const Node& n, const Value& input, const FramePtr& env) {
  if (!input.is_array()) return input;
  const std::vector<Value>& items = input.items();
  if (items.size() <= 1) return input;
  const bool tuples = input.array().tuple_stream;
  const size_t terms = n.terms.size();
  std::vector<Value> keys(items.size() * terms);
  for (size_t i = 0; i < items.size(); ++i) {
    Value context = tuples ? items[i].Get("@") : items[i];
    FramePtr frame = tuples ? FrameFromTuple(env, items[i]) : env;
    for (size_t t = 0; t < terms; ++t) keys[i * terms + t] = Eval(*n.terms[t].expr, context, frame);
  }
  // True when item a goes after item b (jsonata-js' comparator).
  auto after = [&](size_t a, size_t b) {
    int comp = 0;
    for (size_t t = 0; t < terms; ++t) {
      const Value& aa = keys[a * terms + t];
      const Value& bb = keys[b * terms + t];
      if (aa.is_undefined()) {
        comp = bb.is_undefined() ? 0 : 1;
        continue;
      }
      if (bb.is_undefined()) {
        comp = -1;
        break;
      }
      const bool a_ok = aa.is_string() || aa.is_number();
      const bool b_ok = bb.is_string() || bb.is_number();
      if (!a_ok || !b_ok) {
        throw Error("T2008",
                    "The expressions within an order-by clause must evaluate to numeric or "
                    "string values",
                    n.position);
      }
      if (aa.type() != bb.type()) {
        throw Error("T2007",
                    "Type mismatch within order-by clause. All values must be of the same type",
                    n.position);
      }
      if (aa.is_number()) {
        if (aa.number() == bb.number()) continue;
        comp = aa.number() < bb.number() ? -1 : 1;
      } else {
        int c = aa.string().compare(bb.string());
        if (c == 0) continue;
        comp = c < 0 ? -1 : 1;
      }
      if (n.terms[t].descending) comp = -comp;
      break;
    }
    return comp == 1;
  };
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return after(b, a); });
  Value out = Value::MakeSequence();
  out.mutable_array().tuple_stream = tuples;
  out.mutable_array().items.reserve(items.size());
  for (size_t i : order) out.Push(items[i]);
  return out;
}

// --- functions -----------------------------------------------------------------

std::string ProcedureName(const Node& procedure) {
  if (procedure.type == NodeType::kPath && !procedure.items.empty()) {
    return procedure.items[0]->str;
  }
  return procedure.str;
}

Value Evaluator::Call(const Node& n, const Value& input, const FramePtr& env,
                      const Value* applied) {
  Value proc = Eval(*n.lhs, input, env);
  const std::string name = ProcedureName(*n.lhs);
  if (proc.is_undefined() && n.lhs->type == NodeType::kPath && env->Lookup(name)) {
    throw Error("T1005", "Attempted to invoke a non-function. Did you mean ${" + name + "}?",
                n.position, name);
  }
  std::vector<Value> args;
  args.reserve(n.items.size() + 1);
  if (applied) args.push_back(*applied);
  for (const NodePtr& arg : n.items) args.push_back(Eval(*arg, input, env));
  try {
    return Apply(proc, std::move(args), input, env);
  } catch (Error& e) {
    if (e.position() < 0) e.set_position(n.position);
    if (e.token().empty()) e.set_token(name);
    throw;
  }
}

Value Evaluator::Apply(const Value& fn, std::vector<Value> args, const Value& input,
                       const FramePtr& env) {
  Value result = ApplyInner(fn, args, input, env);
  while (result.is_function() && result.function().kind() == Function::Kind::kLambda &&
         static_cast<const LambdaFunction&>(result.function()).node->thunk) {
    CheckTime();
    auto thunk = std::static_pointer_cast<const LambdaFunction>(result.shared_function());
    const Node& call = *thunk->node->lhs;  // kCall
    Value next = Eval(*call.lhs, thunk->input, thunk->env);
    std::vector<Value> next_args;
    next_args.reserve(call.items.size());
    for (const NodePtr& a : call.items) next_args.push_back(Eval(*a, thunk->input, thunk->env));
    try {
      result = ApplyInner(next, next_args, thunk->input, thunk->env);
    } catch (Error& e) {
      if (e.position() < 0) e.set_position(call.position);
      if (e.token().empty()) e.set_token(ProcedureName(*call.lhs));
      throw;
    }
  }
  return result;
}

Value Evaluator::ApplyInner(const Value& fn, std::vector<Value>& args, const Value& input,
                            const FramePtr& env) {
  if (!fn.is_function()) {
    throw Error("T1006", "Attempted to invoke a non-function");
  }
  const Function& f = fn.function();
  switch (f.kind()) {
    case Function::Kind::kLambda: {
      const auto& lambda = static_cast<const LambdaFunction&>(f);
      const Node& node = *lambda.node;
      std::vector<Value> validated =
          node.signature ? node.signature->Validate(args, input, "lambda") : std::move(args);
      FramePtr frame = NewFrame(lambda.env);
      frame->vars.reserve(node.params.size());
      for (size_t i = 0; i < node.params.size(); ++i) {
        frame->vars.emplace_back(node.params[i], i < validated.size() ? validated[i] : Value());
      }
      return Eval(*node.lhs, lambda.input, frame);
    }
    case Function::Kind::kBuiltin: {
      if (const auto* native = dynamic_cast<const NativeFunction*>(&f)) {
        std::vector<Value> validated =
            native->signature ? native->signature->Validate(args, input, native->name) : args;
        return native->call(*this, validated, input);
      }
      const auto& builtin = static_cast<const BuiltinFunction&>(f);
      std::vector<Value> validated =
          builtin.signature ? builtin.signature->Validate(args, input, builtin.name) : args;
      if (builtin.impl) {
        Context ctx(*this, input, env);
        return builtin.impl(ctx, validated);
      }
      std::vector<std::optional<Json>> json_args;
      for (const Value& v : validated) {
        if (v.is_undefined()) {
          json_args.emplace_back();
        } else {
          json_args.emplace_back(ToOrderedJson(v));
        }
      }
      JsonataResult r = builtin.extra->call(json_args);
      if (r.error) {
        throw Error(r.error->code, r.error->message, r.error->position, r.error->token);
      }
      return r.value ? FromJson(*r.value) : Value();
    }
    case Function::Kind::kPartial: {
      const auto& partial = static_cast<const PartialFunction&>(f);
      std::vector<Value> full;
      full.reserve(partial.args.size());
      size_t next = 0;
      for (size_t i = 0; i < partial.args.size(); ++i) {
        if (partial.placeholder[i]) {
          full.push_back(next < args.size() ? args[next] : Value());
          ++next;
        } else {
          full.push_back(partial.args[i]);
        }
      }
      return Apply(partial.fn, std::move(full), input, env);
    }
    case Function::Kind::kRegex: {
      return static_cast<const RegexFunction&>(f).Call(args);
    }
  }
  throw Error("T1006", "Attempted to invoke a non-function");
}

Value Evaluator::Partial(const Node& n, const Value& input, const FramePtr& env) {
  auto partial = std::make_shared<PartialFunction>();
  for (const NodePtr& arg : n.items) {
    const bool hole = arg->type == NodeType::kPlaceholder;
    partial->placeholder.push_back(hole);
    partial->args.push_back(hole ? Value() : Eval(*arg, input, env));
    if (hole) ++partial->holes;
  }
  Value proc = Eval(*n.lhs, input, env);
  const std::string name = ProcedureName(*n.lhs);
  if (proc.is_undefined() && n.lhs->type == NodeType::kPath && env->Lookup(name)) {
    throw Error("T1007",
                "Attempted to partially apply a non-function. Did you mean ${" + name + "}?",
                n.position, name);
  }
  if (!proc.is_function()) {
    throw Error("T1008", "Attempted to partially apply a non-function", n.position, name);
  }
  // Parameters past the arguments given stay unbound (undefined), as in jsonata-js.
  partial->fn = proc;
  return Value::Func(partial);
}

Value Evaluator::ApplyOperator(const Node& n, const Value& input, const FramePtr& env) {
  Value lhs = Eval(*n.lhs, input, env);
  if (n.rhs->type == NodeType::kCall) return Call(*n.rhs, input, env, &lhs);
  Value fn = Eval(*n.rhs, input, env);
  if (!fn.is_function()) {
    throw Error("T2006",
                "The right side of the function application operator ~> must be a function",
                n.position, "~>");
  }
  if (lhs.is_function()) {  // composition: $f ~> $g is function($x){ $g($f($x)) }
    auto composed = std::make_shared<NativeFunction>();
    composed->name = "composition";
    composed->call = [f = lhs, g = fn, env](Evaluator& ev, std::vector<Value>& args,
                                            const Value& in) {
      Value mid = ev.Apply(f, args, in, env);
      return ev.Apply(g, {mid}, in, env);
    };
    return Value::Func(composed);
  }
  return Apply(fn, {lhs}, input, env);
}

// `depth`: the level of `v` if it is an array or object (jsonata_value.h).
Value DeepClone(const Value& v, int depth = 1) {
  if (v.is_array()) {
    CheckValueDepth(depth);
    Value out = Value::MakeArray();
    ArrayData& a = out.mutable_array();
    a = v.array();
    for (Value& item : a.items) item = DeepClone(item, depth + 1);
    return out;
  }
  if (v.is_object()) {
    CheckValueDepth(depth);
    Value out = Value::MakeObject();
    for (const auto& [k, x] : v.object().members()) {
      out.mutable_object().Set(k, DeepClone(x, depth + 1));
    }
    return out;
  }
  return v;
}

Value Evaluator::Transform(const Node& n, const Value&, const FramePtr& env) {
  auto transformer = std::make_shared<NativeFunction>();
  transformer->name = "transform";
  transformer->signature = Signature::Parse("<(oa):o>");
  const Node* node = &n;
  transformer->call = [node, env](Evaluator& ev, std::vector<Value>& args, const Value&) -> Value {
    if (args.empty() || args[0].is_undefined()) return Value();
    Value result = DeepClone(args[0]);
    Value matches = ev.Eval(*node->lhs, result, env);
    if (matches.is_undefined()) return result;
    std::vector<Value> list = matches.is_array() ? matches.items() : std::vector<Value>{matches};
    for (const Value& match : list) {
      Value update = ev.Eval(*node->rhs, match, env);
      if (update.is_defined()) {
        if (!update.is_object()) {
          throw Error("T2011",
                      "The insert/update clause of the transform expression must evaluate to an "
                      "object: " +
                          Excerpt(update),
                      node->rhs->position);
        }
        if (match.is_object()) {
          for (const auto& [k, v] : update.object().members()) match.mutable_object().Set(k, v);
        }
      }
      if (node->del) {
        Value deletions = ev.Eval(*node->del, match, env);
        if (deletions.is_undefined()) continue;
        std::vector<Value> keys =
            deletions.is_array() ? deletions.items() : std::vector<Value>{deletions};
        for (const Value& k : keys) {
          if (!k.is_string()) {
            throw Error("T2012",
                        "The delete clause of the transform expression must evaluate to a string "
                        "or array of strings: " +
                            Excerpt(deletions),
                        node->del->position);
          }
        }
        if (match.is_object()) {
          for (const Value& k : keys) match.mutable_object().Erase(k.string());
        }
      }
    }
    return result;
  };
  return Value::Func(transformer);
}

}  // namespace

const Value* LazyVariables::Find(std::string_view name) {
  std::string key(name);
  if (auto it = found.find(key); it != found.end()) return &it->second;
  if (missing.count(key)) return nullptr;
  if (functions != nullptr) {
    if (auto f = functions->find(key); f != functions->end()) {
      // Signatures are parsed once per process, not once per evaluation.
      static std::mutex mu;
      static auto* parsed = new std::map<std::string, std::shared_ptr<const Signature>>();
      auto b = std::make_shared<BuiltinFunction>();
      b->name = key;
      if (!f->second.signature.empty()) {
        std::lock_guard<std::mutex> lock(mu);
        auto& sig = (*parsed)[f->second.signature];
        if (!sig) sig = Signature::Parse(f->second.signature);
        b->signature = sig;
      }
      b->extra = &f->second;
      b->declared = b->signature ? b->signature->param_count() : 0;
      return &found.emplace(key, Value::Func(b)).first->second;
    }
  }
  if (source != nullptr) {
    std::vector<std::pair<std::string_view, const Json*>> members;
    if (source->FindMembers(name, &members)) {
      Value o = Value::MakeObject();
      for (const auto& [k, j] : members) o.mutable_object().Set(std::string(k), FromJson(*j));
      return &found.emplace(key, std::move(o)).first->second;
    }
    if (const Json* j = source->Find(name)) {
      return &found.emplace(key, FromJson(*j)).first->second;
    }
  }
  missing.insert(std::move(key));
  return nullptr;
}

}  // namespace jsonata

JsonataVariableCache::JsonataVariableCache() = default;
JsonataVariableCache::~JsonataVariableCache() = default;

// --- the public API --------------------------------------------------------------

Json JsonataError::ToJson() const {
  Json j = {{"code", code}, {"message", message}};
  if (position >= 0) j["position"] = position;
  if (!token.empty()) j["token"] = token;
  return j;
}

std::variant<Jsonata, JsonataError> Jsonata::Compile(std::string_view text) {
  try {
    return Jsonata(std::string(text), jsonata::Parse(text));
  } catch (const jsonata::Error& e) {
    return JsonataError{e.code(), e.message(), e.position(), e.token()};
  }
}

JsonataResult Jsonata::Evaluate(const Json* input, const std::map<std::string, Json>& bindings,
                                const std::map<std::string, JsonataFunction>& functions,
                                const JsonataOptions& options) const {
  return EvaluateWith(input, nullptr, nullptr, bindings, functions, options, nullptr);
}

JsonataInput::JsonataInput(const Json& document)
    : value_(std::make_unique<jsonata::Value>(jsonata::FromJson(document))) {}
JsonataInput::~JsonataInput() = default;
JsonataInput::JsonataInput(JsonataInput&&) noexcept = default;
JsonataInput& JsonataInput::operator=(JsonataInput&&) noexcept = default;

JsonataResult Jsonata::Evaluate(const JsonataInput& input,
                                const std::map<std::string, Json>& bindings,
                                const std::map<std::string, JsonataFunction>& functions,
                                const JsonataOptions& options) const {
  return EvaluateWith(nullptr, input.value_.get(), nullptr, bindings, functions, options,
                      nullptr);
}

JsonataResult Jsonata::Evaluate(const Json* input, const JsonataVariables& variables,
                                const std::map<std::string, Json>& bindings,
                                const std::map<std::string, JsonataFunction>& functions,
                                const JsonataOptions& options,
                                JsonataVariableCache* cache) const {
  return EvaluateWith(input, nullptr, &variables, bindings, functions, options, cache);
}

JsonataResult Jsonata::EvaluateWith(const Json* input, const jsonata::Value* prepared,
                                    const JsonataVariables* variables,
                                    const std::map<std::string, Json>& bindings,
                                    const std::map<std::string, JsonataFunction>& functions,
                                    const JsonataOptions& options,
                                    JsonataVariableCache* cache) const {
  using namespace jsonata;
  JsonataResult out;
  try {
    Evaluator ev(options);
    FramePtr root = ev.NewFrame(nullptr);
    root->globals = &Globals();
    LazyVariables local;
    LazyVariables* lazy = &local;
    if (cache != nullptr) {
      if (!cache->impl_ || cache->impl_->source != variables ||
          cache->impl_->functions != &functions) {
        cache->impl_ = std::make_unique<LazyVariables>();
      }
      lazy = cache->impl_.get();
    }
    lazy->source = variables;
    lazy->functions = &functions;
    root->lazy = lazy;
    FramePtr env = ev.NewFrame(root);
    Value in = prepared ? *prepared : input ? FromJson(*input) : Value();
    if (in.is_array()) {
      Value wrapped = Value::MakeSequence();
      wrapped.Push(in);
      wrapped.mutable_array().outer_wrapper = true;
      in = wrapped;
    }
    env->Bind("$", in);
    for (const auto& [name, value] : bindings) env->Bind(name, FromJson(value));
    Value result = ev.Eval(*root_, in, env);
    if (result.is_sequence() && !result.array().keep_singleton) result = Unwrap(result);
    if (result.is_defined() && options.max_result_bytes != 0 &&
        TextSizeAtLeast(result, options.max_result_bytes + 1) > options.max_result_bytes) {
      throw Error("U1006",
                  "The result is larger than " + std::to_string(options.max_result_bytes) +
                      " bytes as JSON",
                  -1);
    }
    if (result.is_defined()) out.value = ToOrderedJson(result);
  } catch (const jsonata::Error& e) {
    out.error = JsonataError{e.code(), e.message(), e.position(), e.token()};
  } catch (const std::bad_alloc&) {
    out.error = JsonataError{"U1005", "The expression ran out of memory", -1, ""};
  }
  return out;
}

}  // namespace stepd::asl
