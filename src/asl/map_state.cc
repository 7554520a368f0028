// Map: one child unit per item (per batch with an ItemBatcher), at most
// MaxConcurrency at a time; the result is the array of outputs. In
// DISTRIBUTED mode every child unit is the root of a child execution with
// its own ARN and history, under a Map Run.
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

// A positive integer from a *Path field, or the runtime error AWS gives.
AslResult<int64_t> PositiveFromPath(StepContext& ctx, const PathExpr& path, const EvalScope& scope,
                                    std::string_view field, const std::string& path_text) {
  std::optional<Json> v = path.Evaluate(scope);
  std::optional<double> n = v ? NumberOf(*v) : std::nullopt;
  if (!n || *n < 1 || std::floor(*n) != *n) {
    return ctx.RuntimeError("The " + std::string(field) + " field refers to value \"" +
                            (v ? ValueText(*v) : std::string("null")) +
                            "\" which is not a valid integer: " + path_text);
  }
  return static_cast<int64_t>(*n);
}

// A number from a JSONata field (MaxConcurrency, ToleratedFailure*): nullopt
// after the state failed with the type error AWS reports.
std::optional<double> JsonataNumber(StepContext& ctx, const JsonataTemplate& t, const Json& input,
                                    bool integral, double min, double max) {
  std::optional<Json> v = ctx.EvaluateJsonata(t, ctx.JsonataView(&input), "MapStateFailed");
  if (!v) return std::nullopt;
  const bool ok = v->is_number() && v->get<double>() >= min && v->get<double>() <= max &&
                  (!integral || std::floor(v->get<double>()) == v->get<double>());
  if (!ok) {
    ctx.Fail(ctx.EvaluationFailed(t.UnexpectedType(integral ? "integer" : "number", *v)),
             "MapStateFailed");
    return std::nullopt;
  }
  return v->get<double>();
}

constexpr int64_t kMaxBatchBytes = 256 * 1024;

// Number of items a child stands for: its batch's size with an ItemBatcher.
int64_t ItemsOf(const MapState& map, const Frame& f, int64_t child_index) {
  if (!map.item_batcher) return 1;
  const Json& batch = f.items[static_cast<size_t>(child_index)];
  return static_cast<int64_t>(batch["Items"].size());
}

}  // namespace

AslResult<Json> MapState::SelectItem(StepContext& ctx, const Json& effective, int64_t index,
                                     Json item) const {
  const Json i = index;
  if (jsonata_item_selector) {
    auto r = jsonata_item_selector->Evaluate(
        ctx.JsonataView(&effective, nullptr, nullptr, &i, &item));
    if (auto* failure = std::get_if<JsonataFailure>(&r)) {
      return ctx.EvaluationFailed(std::move(*failure));
    }
    return std::get<Json>(std::move(r));
  }
  if (!item_selector) return item;
  auto r = item_selector->Evaluate(ctx.Scope(&effective, &i, &item));
  if (!r.ok()) return ctx.Contextualize(std::move(r).take_error());
  return std::move(r).value();
}

int64_t MapState::TotalItems(const Frame& f) const {
  if (!item_batcher) return f.total_children;
  int64_t n = 0;
  for (const Json& batch : f.items) n += static_cast<int64_t>(batch["Items"].size());
  return n;
}

// Applies ItemSelector to every item, then groups them in batches of at most
// MaxItemsPerBatch items and MaxInputBytesPerBatch bytes (a lone item larger
// than that still gets a batch of its own).
std::optional<Json> MapState::MakeBatches(StepContext& ctx, const Json& effective,
                                          Json items) const {
  EvalScope scope = ctx.Scope(&effective);
  int64_t max_items = item_batcher->max_items.value.value_or(0);
  if (item_batcher->max_items.path) {
    auto r = PositiveFromPath(ctx, *item_batcher->max_items.path, scope, "MaxItemsPerBatchPath",
                              item_batcher->max_items.path_text);
    if (!r.ok()) return ctx.Fail(std::move(r).take_error()), std::nullopt;
    max_items = r.value();
  }
  int64_t max_bytes = item_batcher->max_bytes.value.value_or(kMaxBatchBytes);
  if (item_batcher->max_bytes.path) {
    auto r = PositiveFromPath(ctx, *item_batcher->max_bytes.path, scope,
                              "MaxInputBytesPerBatchPath", item_batcher->max_bytes.path_text);
    if (!r.ok()) return ctx.Fail(std::move(r).take_error()), std::nullopt;
    max_bytes = r.value();
  }
  max_bytes = std::min(max_bytes, kMaxBatchBytes);
  std::optional<Json> batch_input;
  if (item_batcher->batch_input) {
    auto r = item_batcher->batch_input->Evaluate(scope);
    if (!r.ok()) return ctx.Fail(ctx.Contextualize(std::move(r).take_error())), std::nullopt;
    batch_input = std::move(r).value();
  }
  Json batches = Json::array();
  Json current = Json::array();
  int64_t current_bytes = 0;
  auto flush = [&] {
    JsonObjectBuilder b(2);
    if (batch_input) b.Add("BatchInput", *batch_input);
    b.Add("Items", std::move(current));
    batches.push_back(b.Take());
    current = Json::array();
    current_bytes = 0;
  };
  for (size_t i = 0; i < items.size(); ++i) {
    auto selected = SelectItem(ctx, effective, static_cast<int64_t>(i), std::move(items[i]));
    if (!selected.ok()) return ctx.Fail(std::move(selected).take_error()), std::nullopt;
    Json item = std::move(selected).value();
    const int64_t bytes = static_cast<int64_t>(item.dump().size());
    if (!current.empty() && ((max_items > 0 && static_cast<int64_t>(current.size()) >= max_items) ||
                             current_bytes + bytes > max_bytes)) {
      flush();
    }
    current.push_back(std::move(item));
    current_bytes += bytes;
  }
  if (!current.empty()) flush();
  return batches;
}

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
  if (max_concurrency.expression) {
    auto n = JsonataNumber(ctx, *max_concurrency.expression, f.raw_input, true, 0, 99999999);
    if (!n) return;
    concurrency = static_cast<int64_t>(*n);
  }
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
  AslResult<Json> items = Json();
  if (jsonata()) {
    // Items (default: the state input) must give an array.
    if (this->items) {
      std::optional<Json> v =
          ctx.EvaluateJsonata(*this->items, ctx.JsonataView(&f.raw_input), "MapStateFailed");
      if (!v) return;
      if (!v->is_array()) {
        return ctx.Fail(ctx.EvaluationFailed(this->items->UnexpectedType("array", *v)),
                        "MapStateFailed");
      }
      items = std::move(*v);
    } else if (!eff->is_array()) {
      return ctx.Fail(ctx.EvaluationFailed(JsonataFailure{
                          AslError::Of(StatesError::kQueryEvaluationError,
                                       "Map state input must be an array but was: " + eff->dump()),
                          "Items"}),
                      "MapStateFailed");
    } else {
      items = *eff;
    }
  } else {
    items = items_path.Apply(*eff, scope);
    if (!items.ok()) return ctx.Fail(ctx.Contextualize(std::move(items).take_error()));
    if (!items.value().is_array()) {
      return ctx.Fail(
          ctx.RuntimeError("Map state input must be an array but was: " + items.value().dump()));
    }
  }
  ctx.Emit("MapStateStarted", "mapStateStartedEventDetails",
           EventDetails().Int("length", static_cast<int64_t>(items.value().size())).Take());
  // Tolerated failures.
  std::optional<double> pct = tolerated_failure_percentage;
  if (tolerated_failure_percentage_expression) {
    pct = JsonataNumber(ctx, *tolerated_failure_percentage_expression, f.raw_input, false, 0, 100);
    if (!pct) return;
  }
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
  if (tolerated_failure_count_expression) {
    auto n = JsonataNumber(ctx, *tolerated_failure_count_expression, f.raw_input, true, 0,
                           99999999);
    if (!n) return;
    count = static_cast<int64_t>(*n);
  }
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
  if (item_batcher) {
    std::optional<Json> batches = MakeBatches(ctx, *eff, std::move(items).value());
    if (!batches) return;
    f.items = std::move(*batches);
  } else {
    f.items = std::move(items).value();
  }
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
  if (distributed) {
    f.map_run_arn = ctx.runner().NewMapRunArn(label);
    ctx.Emit("MapRunStarted", "mapRunStartedEventDetails",
             EventDetails().String("mapRunArn", f.map_run_arn).Take());
    ctx.runner().NoteMapRun(f, MapRunStatus::kRunning, ctx.now());
  }
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
    f.failed_children += ItemsOf(*this, f, c->child_index);
    AslError err = c->error;
    f.results[static_cast<size_t>(c->child_index)] =
        Json{{"Error", err.error}, {"Cause", err.cause}};
    runner.Retire(id);
    const bool tolerant = f.tolerated_count.has_value() || f.tolerated_percentage.has_value();
    bool exceeded = !tolerant;
    if (f.tolerated_count && f.failed_children > *f.tolerated_count) exceeded = true;
    const int64_t total_items = TotalItems(f);
    if (f.tolerated_percentage && total_items > 0 &&
        100.0 * static_cast<double>(f.failed_children) / static_cast<double>(total_items) >
            *f.tolerated_percentage) {
      exceeded = true;
    }
    if (f.tolerated_count && !f.tolerated_percentage && f.failed_children <= *f.tolerated_count) {
      exceeded = false;
    }
    if (exceeded) {
      runner.AbortChildren(f, ctx.now());
      if (tolerant) {
        err = AslError::Of(StatesError::kExceedToleratedFailureThreshold,
                           "The specified tolerated failure threshold was exceeded");
      }
      if (distributed) {
        ctx.Emit("MapRunFailed", "mapRunFailedEventDetails",
                 EventDetails().String("error", err.error).String("cause", err.cause).Take());
        runner.NoteMapRun(f, MapRunStatus::kFailed, ctx.now());
      }
      // items and results stay: a redrive resumes from them.
      f.resume_children = true;
      return ctx.Fail(std::move(err), "MapStateFailed");
    }
  }
  int64_t limit = f.max_concurrency > 0 ? f.max_concurrency : kInlineConcurrencyCap;
  while (f.next_child < f.total_children && f.running_children < limit) {
    const int64_t i = f.next_child++;
    const Json& item = f.items[static_cast<size_t>(i)];
    Json input;
    if ((item_selector || jsonata_item_selector) && !item_batcher) {
      auto selected = SelectItem(ctx, f.effective, i, item);
      if (!selected.ok()) {
        runner.AbortChildren(f, ctx.now());
        if (distributed) runner.NoteMapRun(f, MapRunStatus::kFailed, ctx.now());
        return ctx.Fail(std::move(selected).take_error(), "MapStateFailed");
      }
      input = std::move(selected).value();
    } else {
      input = item;
    }
    if (!distributed) {
      ctx.Emit("MapIterationStarted", "mapIterationStartedEventDetails",
               runner.options_.record_history
                   ? EventDetails().String("name", name).Int("index", i).Take()
                   : std::string());
    }
    const int64_t child_execution =
        distributed ? runner.StartChildExecution(f, input, ctx.now()) : 0;
    Frame& child = ctx.StartChild(*processor, std::move(input), i);
    if (distributed) {
      child.child_execution = child_execution;
      child.last_event_id = runner.children_.at(child_execution).last_event_id;
    }
  }
  if (f.next_child == f.total_children && f.running_children == 0) {
    if (distributed) {
      ctx.Emit("MapRunSucceeded", "mapRunSucceededEventDetails", "{}");
      runner.NoteMapRun(f, MapRunStatus::kSucceeded, ctx.now());
    }
    ctx.Emit("MapStateSucceeded", "", std::string());
    if (f.failed_children > 0) runner.DiscardDormant(f.id);  // tolerated failures
    Json results = std::move(f.results);
    f.results = Json();
    f.items = Json();
    f.effective = Json();
    ctx.Complete(std::move(results), true);
  }
}

}  // namespace stepd::asl
