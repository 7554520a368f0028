// Map (inline; DISTRIBUTED runs inline too for now): one child unit per item,
// at most MaxConcurrency at a time; the result is the array of outputs.
#include <cmath>
#include <cstdlib>

#include "runner.h"

namespace stepd::asl {

using interpreter_internal::Frame;
using interpreter_internal::Phase;
using interpreter_internal::StepContext;

namespace {

// AWS runs at most 40 inline iterations at once when MaxConcurrency is 0.
constexpr int64_t kInlineConcurrencyCap = 40;

std::string ValueText(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// A number, or a string holding one (AWS parses path values leniently).
std::optional<double> NumberOf(const Json& v) {
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

}  // namespace

void MapState::Enter(StepContext& ctx) const {
  if (has_item_reader) {
    return ctx.Fail(AslError::Of(StatesError::kItemReaderFailed,
                                 "ItemReader is not supported yet: stepd cannot read Map items "
                                 "from S3 (state '" +
                                     name + "')"));
  }
  if (has_result_writer) {
    return ctx.Fail(AslError::Of(StatesError::kResultWriterFailed,
                                 "ResultWriter is not supported yet: stepd cannot write Map "
                                 "results to S3 (state '" +
                                     name + "')"));
  }
  std::optional<Json> eff = ctx.EffectiveInput(false);
  if (!eff) return;
  Frame& f = ctx.frame();
  EvalScope scope = ctx.Scope(&*eff);
  // MaxConcurrency.
  int64_t concurrency = max_concurrency.value.value_or(0);
  if (max_concurrency.path) {
    std::optional<Json> v = max_concurrency.path->Evaluate(scope);
    std::optional<double> n = v ? NumberOf(*v) : std::nullopt;
    if (!n || *n < 0 || std::floor(*n) != *n) {
      return ctx.Fail(
          ctx.RuntimeError("The MaxConcurrencyPath field refers to value \"" +
                           (v ? ValueText(*v) : std::string("null")) +
                           "\" which is not a valid integer: " + max_concurrency.path_text));
    }
    concurrency = static_cast<int64_t>(*n);
  }
  // Items.
  auto items = items_path.Apply(*eff, scope);
  if (!items.ok()) return ctx.Fail(ctx.Contextualize(std::move(items).take_error()));
  if (!items.value().is_array()) {
    return ctx.Fail(
        ctx.RuntimeError("Map state input must be an array but was: " + items.value().dump()));
  }
  ctx.Emit("MapStateStarted", "mapStateStartedEventDetails",
           EventDetails().Int("length", static_cast<int64_t>(items.value().size())).Take());
  // Tolerated failures.
  std::optional<double> pct = tolerated_failure_percentage;
  if (tolerated_failure_percentage_path) {
    std::optional<Json> v = tolerated_failure_percentage_path->Evaluate(scope);
    pct = v ? NumberOf(*v) : std::nullopt;
    if (!pct) {
      return ctx.Fail(ctx.RuntimeError(
          "The ToleratedFailurePercentagePath field refers to value \"" +
          (v ? ValueText(*v) : std::string("null")) +
          "\" which is not a valid float: " + tolerated_failure_percentage_path_text));
    }
    if (*pct < 0 || *pct > 100) {
      return ctx.Fail(ctx.RuntimeError("ToleratedFailurePercentage must be between 0 and 100."));
    }
  }
  std::optional<int64_t> count = tolerated_failure_count;
  if (tolerated_failure_count_path) {
    std::optional<Json> v = tolerated_failure_count_path->Evaluate(scope);
    std::optional<double> n = v ? NumberOf(*v) : std::nullopt;
    if (!n || std::floor(*n) != *n) {
      return ctx.Fail(ctx.RuntimeError(
          "The ToleratedFailureCountPath field refers to value \"" +
          (v ? ValueText(*v) : std::string("null")) +
          "\" which is not a valid integer: " + tolerated_failure_count_path_text));
    }
    if (*n < 0) {
      return ctx.Fail(ctx.RuntimeError("ToleratedFailureCount cannot be negative."));
    }
    count = static_cast<int64_t>(*n);
  }
  f.items = std::move(items).value();
  f.effective = std::move(*eff);
  f.total_children = static_cast<int64_t>(f.items.size());
  f.next_child = 0;
  f.running_children = 0;
  f.succeeded_children = 0;
  f.failed_children = 0;
  f.finished_children.clear();
  f.child_error.reset();
  f.max_concurrency = concurrency;
  f.tolerated_count = count;
  f.tolerated_percentage = pct;
  f.results = Json::array_t(static_cast<size_t>(f.total_children));
  if (distributed) ctx.Emit("MapRunStarted", "mapRunStartedEventDetails", "{}");
  f.phase = Phase::kChildren;
  Resume(ctx);
}

void MapState::Resume(StepContext& ctx) const {
  Frame& f = ctx.frame();
  interpreter_internal::Runner& runner = ctx.runner();
  std::vector<int64_t> finished;
  finished.swap(f.finished_children);
  for (int64_t id : finished) {
    Frame* c = runner.Find(id);
    if (c == nullptr) continue;
    --f.running_children;
    std::string details =
        runner.options_.record_history
            ? EventDetails().String("name", name).Int("index", c->child_index).Take()
            : std::string();
    if (c->succeeded) {
      if (!distributed) {
        ctx.Emit("MapIterationSucceeded", "mapIterationSucceededEventDetails", std::move(details));
      }
      f.results[static_cast<size_t>(c->child_index)] = std::move(c->output);
      ++f.succeeded_children;
      runner.frames_.erase(id);
      continue;
    }
    if (!distributed) {
      ctx.Emit("MapIterationFailed", "mapIterationFailedEventDetails", std::move(details));
    }
    ++f.failed_children;
    AslError err = c->error;
    f.results[static_cast<size_t>(c->child_index)] =
        Json{{"Error", err.error}, {"Cause", err.cause}};
    runner.frames_.erase(id);
    const bool tolerant = f.tolerated_count.has_value() || f.tolerated_percentage.has_value();
    bool exceeded = !tolerant;
    if (f.tolerated_count && f.failed_children > *f.tolerated_count) exceeded = true;
    if (f.tolerated_percentage && f.total_children > 0 &&
        100.0 * static_cast<double>(f.failed_children) / static_cast<double>(f.total_children) >
            *f.tolerated_percentage) {
      exceeded = true;
    }
    if (f.tolerated_count && !f.tolerated_percentage && f.failed_children <= *f.tolerated_count) {
      exceeded = false;
    }
    if (exceeded) {
      runner.AbortChildren(f, ctx.now());
      if (distributed) ctx.Emit("MapRunFailed", "mapRunFailedEventDetails", "{}");
      if (tolerant) {
        err = AslError::Of(StatesError::kExceedToleratedFailureThreshold,
                           "The specified tolerated failure threshold was exceeded");
      }
      f.items = Json();
      f.results = Json();
      return ctx.Fail(std::move(err), "MapStateFailed");
    }
  }
  int64_t limit = f.max_concurrency > 0 ? f.max_concurrency : kInlineConcurrencyCap;
  while (f.next_child < f.total_children && f.running_children < limit) {
    const int64_t i = f.next_child++;
    const Json& item = f.items[static_cast<size_t>(i)];
    Json input;
    if (item_selector) {
      const Json index = i;
      auto r = item_selector->Evaluate(ctx.Scope(&f.effective, &index, &item));
      if (!r.ok()) {
        runner.AbortChildren(f, ctx.now());
        return ctx.Fail(ctx.Contextualize(std::move(r).take_error()), "MapStateFailed");
      }
      input = std::move(r).value();
    } else {
      input = item;
    }
    if (!distributed) {
      ctx.Emit("MapIterationStarted", "mapIterationStartedEventDetails",
               runner.options_.record_history
                   ? EventDetails().String("name", name).Int("index", i).Take()
                   : std::string());
    }
    Frame& child = ctx.StartChild(*processor, std::move(input), i);
    if (distributed) child.record = false;
  }
  if (f.succeeded_children + f.failed_children == f.total_children) {
    if (distributed) ctx.Emit("MapRunSucceeded", "mapRunSucceededEventDetails", "{}");
    ctx.Emit("MapStateSucceeded", "", std::string());
    Json results = std::move(f.results);
    f.results = Json();
    f.items = Json();
    f.effective = Json();
    ctx.Complete(std::move(results), true);
  }
}

}  // namespace stepd::asl
