// TestState: one state of a definition run on a given input (asl::TestState),
// answered as AWS answers it. Nothing is stored and nothing is called.

#include "aws_internal.h"
#include "stepd/asl/test_state.h"
#include "stepd/base/crypto.h"

namespace stepd::api::aws {
namespace {

constexpr size_t kMaxDefinition = 1048576;
constexpr size_t kMaxData = 262144;  // AWS's SensitiveData

std::string Text(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// `text` as JSON; `what` names it in the error.
std::optional<Json> ParseField(const std::string& text, std::string_view what, AwsError* error) {
  StatusOr<Json> parsed = ParseJson(text);
  if (parsed.ok()) return std::move(parsed).value();
  *error = AwsError{ErrorType::kValidationException,
                    std::string(what) + " must be valid JSON: " + parsed.status().message()};
  return std::nullopt;
}

// The request's mock: exactly one of `result` (JSON text) and `errorOutput`.
std::optional<asl::TestStateMock> ReadMock(const Json& mock, AwsError* error) {
  Fields f(mock, "mock");
  auto result = f.String("result", false, 0, kMaxData, /*sensitive=*/true);
  const Json* error_output = f.Value("errorOutput", Json::value_t::object);
  f.Enum("fieldValidationMode", false, {"STRICT", "PRESENT", "NONE"});
  if (!f.ok()) return *error = f.error(), std::nullopt;
  if (result.has_value() == (error_output != nullptr)) {
    *error = AwsError{ErrorType::kValidationException,
                      "A test mock should have only one of the following fields: [result, "
                      "errorOutput]."};
    return std::nullopt;
  }
  asl::TestStateMock out;
  if (result) {
    StatusOr<Json> parsed = ParseJson(*result);
    if (!parsed.ok()) {
      *error = AwsError{ErrorType::kValidationException, "Mocked result must be valid JSON"};
      return std::nullopt;
    }
    out.result = std::move(parsed).value();
    return out;
  }
  Fields e(*error_output, "mock.errorOutput");
  auto name = e.String("error", true, 0, 256, /*sensitive=*/true);
  auto cause = e.String("cause", false, 0, 32768, /*sensitive=*/true);
  if (!e.ok()) return *error = e.error(), std::nullopt;
  out.error = asl::AslError{*name, cause.value_or("")};
  return out;
}

Json InspectionJson(const asl::TestStateInspection& in) {
  Json j = {{"input", Text(in.input)}};
  auto put = [&](const char* key, const std::optional<Json>& value) {
    if (value) j[key] = Text(*value);
  };
  put("afterInputPath", in.after_input_path);
  put("afterParameters", in.after_parameters);
  put("afterArguments", in.after_arguments);
  put("result", in.result);
  put("afterResultSelector", in.after_result_selector);
  put("afterResultPath", in.after_result_path);
  put("variables", in.variables);
  Json details = Json::object();
  if (in.retry_index) details["retryIndex"] = *in.retry_index;
  if (in.retry_backoff_seconds) details["retryBackoffIntervalSeconds"] = *in.retry_backoff_seconds;
  if (in.catch_index) details["catchIndex"] = *in.catch_index;
  if (!details.empty()) j["errorDetails"] = std::move(details);
  return j;
}

}  // namespace

void TestState(const Context& context, Call call) {
  Fields f(call.input);
  auto definition = f.String("definition", true, 1, kMaxDefinition, /*sensitive=*/true);
  auto role_arn = f.String("roleArn", false, 1, 256);
  auto input = f.String("input", false, 0, kMaxData, /*sensitive=*/true);
  auto level = f.Enum("inspectionLevel", false, {"INFO", "DEBUG", "TRACE"});
  auto reveal_secrets = f.Bool("revealSecrets");
  auto variables = f.String("variables", false, 0, kMaxData, /*sensitive=*/true);
  auto state_name = f.String("stateName", false, 1, 80, /*sensitive=*/true);
  const Json* mock = f.Value("mock", Json::value_t::object);
  auto context_text = f.String("context", false, 0, kMaxData, /*sensitive=*/true);
  const Json* configuration = f.Value("stateConfiguration", Json::value_t::object);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});

  asl::TestStateRequest request;
  request.definition = *definition;
  request.state_name = state_name;
  AwsError error;
  if (mock) {
    request.mock = ReadMock(*mock, &error);
    if (!request.mock) return call.reply(Outcome{{}, error});
    if (reveal_secrets.value_or(false)) {
      return call.reply(
          Outcome::Fail(ErrorType::kValidationException,
                        "TestState does not support RevealSecrets when a mock is specified."));
    }
  }
  if (configuration) {
    Fields c(*configuration, "stateConfiguration");
    auto retries = c.Int("retrierRetryCount", false, 0, INT32_MAX);
    c.String("errorCausedByState", false, 1, 80, /*sensitive=*/true);
    auto failures = c.Int("mapIterationFailureCount", false, 0, INT32_MAX);
    auto item_reader_data = c.String("mapItemReaderData", false, 0, kMaxData, /*sensitive=*/true);
    if (!c.ok()) return call.reply(Outcome{{}, c.error()});
    if (failures || item_reader_data) {
      return call.reply(
          Outcome::Fail(ErrorType::kValidationException,
                        std::string("stepd does not support stateConfiguration.") +
                            (failures ? "mapIterationFailureCount" : "mapItemReaderData") +
                            ": a mocked Map state's result stands for all of its iterations"));
    }
    request.retrier_retry_count = static_cast<int>(retries.value_or(0));
  }
  if (input && input->find_first_not_of(" \t\r\n") == std::string::npos) {
    return call.reply(Outcome::Fail(ErrorType::kInvalidExecutionInput,
                                    "Invalid State Machine Execution Input: 'Invalid execution "
                                    "input.'"));
  }
  StatusOr<Json> parsed_input = ParseJson(input.value_or("{}"));
  if (!parsed_input.ok()) {
    return call.reply(Outcome::Fail(
        ErrorType::kInvalidExecutionInput,
        "Invalid State Machine Execution Input: '" + parsed_input.status().message() + "'"));
  }
  request.input = std::move(parsed_input).value();
  if (variables) {
    std::optional<Json> v = ParseField(*variables, "variables", &error);
    if (!v) return call.reply(Outcome{{}, error});
    if (!v->is_object()) {
      return call.reply(Outcome::Fail(ErrorType::kValidationException,
                                      "variables must be a JSON object of variable names to "
                                      "their values"));
    }
    request.variables = std::move(*v);
  }
  if (context_text) {
    if (!mock) {
      return call.reply(Outcome::Fail(ErrorType::kValidationException,
                                      "context may only be specified together with a mock"));
    }
    std::optional<Json> c = ParseField(*context_text, "context", &error);
    if (!c) return call.reply(Outcome{{}, error});
    if (!c->is_object()) {
      return call.reply(Outcome::Fail(ErrorType::kValidationException,
                                      "context must be a JSON object (a Context object)"));
    }
    request.context = std::move(*c);
  }

  const ApiOptions& options = *context.options;
  const std::string machine = "TestStateMachine";
  request.execution.name = RandomUuid();
  request.execution.state_machine_name = machine;
  request.execution.state_machine_arn = StateMachineArn(options, machine);
  request.execution.execution_arn = "arn:aws:states:" + options.region + ":" + options.account_id +
                                    ":express:" + machine + ":" + request.execution.name;
  request.execution.role_arn = role_arn.value_or("");
  request.execution.start_time = context.clock->Now();

  asl::TestStateOutcome outcome = asl::TestState(request);
  if (outcome.rejection) {
    return call.reply(
        Outcome::Fail(outcome.rejection->kind == asl::TestStateRejection::Kind::kInvalidDefinition
                          ? ErrorType::kInvalidDefinition
                          : ErrorType::kValidationException,
                      outcome.rejection->message));
  }
  const asl::TestStateResult& result = outcome.result;
  Json body = {{"status", asl::TestStateStatusName(result.status)}};
  if (result.output) body["output"] = Text(*result.output);
  if (result.error) {
    if (!result.error->error.empty()) body["error"] = result.error->error;
    if (!result.error->cause.empty()) body["cause"] = result.error->cause;
  }
  if (result.next_state) body["nextState"] = *result.next_state;
  if (level.value_or("INFO") != "INFO") body["inspectionData"] = InspectionJson(result.inspection);
  call.reply(Outcome::Ok(body));
}

}  // namespace stepd::api::aws
