// Wait: parks its unit until a time; Resume (State's default) completes it.
#include <cmath>

#include "runner.h"

namespace stepd::asl {

namespace {

// A JSONata Wait: Seconds or Timestamp from an expression (or a literal).
void EnterJsonata(const WaitState& w, interpreter_internal::StepContext& ctx) {
  TimePoint until = ctx.now();
  const JsonataTemplate* t = w.seconds_expression ? &*w.seconds_expression
                             : w.timestamp_expression ? &*w.timestamp_expression
                                                      : nullptr;
  std::optional<Json> v;
  if (t) {
    v = ctx.EvaluateJsonata(*t, ctx.JsonataView(&ctx.frame().raw_input));
    if (!v) return;
  }
  if (w.seconds_expression) {
    const bool integral =
        v->is_number_integer() || v->is_number_unsigned() ||
        (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>());
    if (!integral || v->get<double>() < 0 || v->get<double>() > 99999999) {
      return ctx.Fail(ctx.EvaluationFailed(t->UnexpectedType("integer", *v)));
    }
    until += std::chrono::seconds(static_cast<int64_t>(v->get<double>()));
  } else if (w.seconds) {
    until += std::chrono::seconds(*w.seconds);
  } else {
    const std::string text = w.timestamp_expression
                                 ? (v->is_string() ? v->get<std::string>() : v->dump())
                                 : w.timestamp.value_or("");
    std::optional<TimePoint> at = ParseIsoTimestamp(text);
    if (!at) {
      return ctx.Fail(ctx.EvaluationFailed(JsonataFailure{
          AslError::Of(StatesError::kQueryEvaluationError,
                       "The Timestamp field cannot be parsed as an ISO-8601 extended offset "
                       "date-time format string: " +
                           text),
          "Timestamp"}));
    }
    until = *at;
  }
  ctx.frame().effective = Json();
  ctx.ParkUntil(until);
}

}  // namespace

void WaitState::Enter(interpreter_internal::StepContext& ctx) const {
  if (jsonata()) return EnterJsonata(*this, ctx);
  std::optional<Json> eff = ctx.EffectiveInput(false);
  if (!eff) return;
  TimePoint until = ctx.now();
  if (seconds) {
    until += std::chrono::seconds(*seconds);
  } else if (timestamp) {
    std::optional<TimePoint> t = ParseIsoTimestamp(*timestamp);
    if (!t) {
      return ctx.Fail(ctx.RuntimeError(
          "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time "
          "format string: " +
          *timestamp));
    }
    until = *t;
  } else if (seconds_path) {
    std::optional<Json> v = seconds_path->Evaluate(ctx.Scope(&*eff));
    if (!v) {
      return ctx.Fail(ctx.RuntimeError("Invalid path '" + path_text + "' : No results for path: " +
                                       NormalizedPathForMessage(path_text)));
    }
    const bool integral =
        v->is_number_integer() ||
        (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>());
    if (!integral || v->get<double>() < 0) {
      return ctx.Fail(ctx.RuntimeError(
          "The SecondsPath parameter cannot be parsed as a long value: " + path_text +
          " == " + v->dump()));
    }
    until += std::chrono::seconds(static_cast<int64_t>(v->get<double>()));
  } else if (timestamp_path) {
    std::optional<Json> v = timestamp_path->Evaluate(ctx.Scope(&*eff));
    if (!v) {
      return ctx.Fail(ctx.RuntimeError("Invalid path '" + path_text + "' : No results for path: " +
                                       NormalizedPathForMessage(path_text)));
    }
    std::optional<TimePoint> t;
    if (v->is_string()) t = ParseIsoTimestamp(v->get<std::string>());
    if (!t) {
      return ctx.Fail(ctx.RuntimeError(
          "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
          "date-time format string: " +
          path_text + " == " + (v->is_string() ? v->get<std::string>() : v->dump())));
    }
    until = *t;
  }
  ctx.frame().effective = std::move(*eff);
  ctx.ParkUntil(until);
}

}  // namespace stepd::asl
