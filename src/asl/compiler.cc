#include "stepd/asl/compiler.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "stepd/asl/intrinsics.h"
#include "stepd/asl/states.h"

namespace stepd::asl {
namespace {

constexpr std::string_view kSchema = "SCHEMA_VALIDATION_FAILED";

bool ContainsContextRef(const Json& j) {
  if (j.is_string()) return j.get_ref<const std::string&>().find("$$") != std::string::npos;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (k.find("$$") != std::string::npos || ContainsContextRef(v)) return true;
    }
    return false;
  }
  if (j.is_array()) {
    for (const auto& v : j) {
      if (ContainsContextRef(v)) return true;
    }
  }
  return false;
}

// True when a JSONata string may read $states.context: it names "context",
// or uses $states other than through .input, .result or .errorOutput.
bool ReadsStatesContext(const Json& j) {
  if (j.is_string()) {
    const std::string& t = j.get_ref<const std::string&>();
    if (t.find("context") != std::string::npos) return true;
    for (size_t at = t.find("$states"); at != std::string::npos; at = t.find("$states", at + 1)) {
      std::string_view rest = std::string_view(t).substr(at + 7);
      if (!rest.starts_with(".input") && !rest.starts_with(".result") &&
          !rest.starts_with(".errorOutput")) {
        return true;
      }
    }
    return false;
  }
  if (j.is_object() || j.is_array()) {
    for (const auto& v : j) {
      if (ReadsStatesContext(v)) return true;
    }
  }
  return false;
}

// A workflow variable's name: a letter or `_` first, then letters, digits
// or `_` (non-ASCII letters allowed), at most 80 characters, and not the
// reserved `states`. Empty when valid, else why not.
std::string InvalidVariableName(std::string_view name) {
  if (name.empty()) return "it is empty";
  if (name.size() > 80) return "it is longer than 80 characters";
  if (name == "states") return "'states' is reserved";
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    const bool ok = c >= 0x80 || std::isalpha(c) || c == '_' || (i > 0 && std::isdigit(c));
    if (!ok) return "it must start with a letter or '_' and hold only letters, digits and '_'";
  }
  return "";
}

// Fields of the JSONPath data flow, which JSONata states replace with
// Arguments, Output and expressions in the fields themselves.
const std::set<std::string>& JsonPathOnlyFields() {
  static const auto* kFields = new std::set<std::string>{
      "InputPath",         "OutputPath",           "ResultPath",
      "Parameters",        "ResultSelector",       "ItemsPath",
      "MaxConcurrencyPath", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath",
      "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath",
      "TimestampPath",     "ErrorPath",            "CausePath",
      "Result",            "Iterator"};
  return *kFields;
}

bool IsIntegral(const Json& v) {
  if (v.is_number_integer()) return true;
  if (v.is_number_float()) {
    const double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
  }
  return false;
}

// Optimised service integrations whose action names are checked (other
// services, and arn:aws:states:::aws-sdk:*, are accepted as written).
const std::map<std::string, std::set<std::string>>& KnownIntegrations() {
  static const auto* kTable = new std::map<std::string, std::set<std::string>>{
      {"lambda", {"invoke"}},
      {"dynamodb", {"getItem", "putItem", "deleteItem", "updateItem"}},
      {"sqs", {"sendMessage"}},
      {"sns", {"publish"}},
      {"states", {"startExecution"}},
      {"events", {"putEvents"}},
      {"http", {"invoke"}},
      {"apigateway", {"invoke"}},
      {"ecs", {"runTask"}},
      {"batch", {"submitJob"}},
      {"glue", {"startJobRun"}},
      {"sagemaker",
       {"createTrainingJob", "createTransformJob", "createModel", "createEndpoint",
        "createEndpointConfig", "updateEndpoint", "createHyperParameterTuningJob",
        "createLabelingJob", "createProcessingJob"}},
      {"codebuild",
       {"startBuild", "stopBuild", "batchDeleteBuilds", "batchGetReports", "startBuildBatch"}},
      {"athena",
       {"startQueryExecution", "stopQueryExecution", "getQueryExecution", "getQueryResults"}},
      {"eks",
       {"createCluster", "deleteCluster", "createNodegroup", "deleteNodegroup", "runJob", "call"}},
      {"elasticmapreduce",
       {"createCluster", "terminateCluster", "addStep", "cancelStep",
        "setClusterTerminationProtection", "modifyInstanceFleetByName",
        "modifyInstanceGroupByName"}},
      {"bedrock", {"invokeModel", "createModelCustomizationJob"}},
      {"emr-serverless",
       {"createApplication", "startApplication", "stopApplication", "deleteApplication",
        "startJobRun", "cancelJobRun"}},
      {"mediaconvert", {"createJob"}},
      {"databrew", {"startJobRun"}},
      {"glue-databrew", {"startJobRun"}},
  };
  return *kTable;
}

class Compiler {
 public:
  Compiler(const CompileOptions& options, Diagnostics* diags) : options_(options), diags_(diags) {}

  std::shared_ptr<StateMachine> Run(std::string_view text);

 private:
  void Error(std::string message, std::string location, std::string code = std::string(kSchema)) {
    diags_->push_back(Diagnostic{std::move(code), std::move(message), Severity::kError,
                                 location.empty() ? "/" : std::move(location)});
  }
  void Unsupported(std::string_view field, const std::string& location) {
    // AWS's own wording, e.g. "SCHEMA_VALIDATION_FAILED: Field '_comment' is not supported at
    // /States/X" (the same text ChoiceRule reports for a field unknown to a Choice Rule).
    Error("Field '" + std::string(field) + "' is not supported", location);
  }
  bool CheckFields(const Json& obj, const std::set<std::string>& allowed,
                   const std::string& location) {
    bool ok = true;
    for (const auto& [k, v] : obj.items()) {
      if (!allowed.count(k)) {
        Unsupported(k, location);
        ok = false;
      }
    }
    return ok;
  }

  bool CompileGraph(const Json& obj, const std::string& location, StateGraph* graph,
                    bool allow_processor_config);
  std::unique_ptr<State> CompileState(const std::string& name, const Json& s,
                                      const std::string& location, const StateGraph& graph);
  bool CompileCommon(const Json& s, const std::string& location, const StateGraph& graph,
                     State* state, bool terminal, bool has_result, bool has_parameters);
  bool CompileTemplate(const Json& s, std::string_view field, const std::string& location,
                       std::optional<PayloadTemplate>* out);
  bool CompileRetry(const Json& s, const std::string& location, State* state);
  // Assign's keys (JSONPath: without a ".$" suffix) must be valid variable names.
  bool CheckVariableNames(const Json& assign, const std::string& location, bool jsonpath);
  // An Assign field: an object whose names CheckVariableNames accepts.
  bool CheckAssign(const Json& assign, const std::string& location, bool jsonpath) {
    if (!assign.is_object()) {
      Error("The value for the field 'Assign' must be an OBJECT", location);
      return false;
    }
    return CheckVariableNames(assign, location, jsonpath);
  }
  bool CompileJsonataChoice(const Json& rule, const std::string& location, const StateGraph& graph,
                            ChoiceState* state);
  bool CompileCatch(const Json& s, const std::string& location, const StateGraph& graph,
                    State* state);
  void CheckReachable(const Json& states, const std::string& start, const std::string& location);
  int ResolveNext(const Json& value, const std::string& location, const StateGraph& graph,
                  std::string_view field = "Next");
  bool CompileIntOrPath(const Json& s, std::string_view field, const std::string& location,
                        int64_t min, IntOrPath* out);
  bool CompileOptionalPath(const Json& s, std::string_view field, const std::string& location,
                           std::optional<PathExpr>* out, std::string* text);

  std::unique_ptr<State> CompilePass(const Json& s, const std::string& loc, const StateGraph& g);
  std::unique_ptr<State> CompileTask(const Json& s, const std::string& loc, const StateGraph& g);
  std::unique_ptr<State> CompileChoice(const Json& s, const std::string& loc, const StateGraph& g);
  std::unique_ptr<State> CompileWait(const Json& s, const std::string& loc, const StateGraph& g);
  std::unique_ptr<State> CompileSucceed(const Json& s, const std::string& loc, const StateGraph& g);
  std::unique_ptr<State> CompileFail(const Json& s, const std::string& loc, const StateGraph& g);
  std::unique_ptr<State> CompileParallel(const Json& s, const std::string& loc,
                                         const StateGraph& g);
  std::unique_ptr<State> CompileMap(const Json& s, const std::string& loc, const StateGraph& g);

  // JSONata states: `field` as a JsonataTemplate (absent: *out untouched).
  // `object_or_expression`: the value must be an object or one expression.
  bool CompileJsonata(const Json& s, std::string_view field, const std::string& location,
                      std::optional<JsonataTemplate>* out, bool object_or_expression = false);
  // The fields a state of a type allows: `jsonpath` as written for a JSONPath
  // state; for a JSONata state without the JSONPath-only fields, plus `jsonata`.
  std::set<std::string> StateFields(std::set<std::string> jsonpath,
                                    std::initializer_list<const char*> jsonata) const;

  const CompileOptions& options_;
  Diagnostics* diags_;
  StateMachine* machine_ = nullptr;
  bool jsonata_ = false;  // the state being compiled uses JSONata
  std::set<std::string> names_;  // state names are unique across the whole machine
};

std::shared_ptr<StateMachine> Compiler::Run(std::string_view text) {
  auto parsed = ParseJson(text);
  if (!parsed.ok() || !parsed.value().is_object()) {
    diags_->push_back(Diagnostic{std::string(kSchema), "Definition must be a valid JSON object",
                                 Severity::kError, ""});
    return nullptr;
  }
  auto machine = std::make_shared<StateMachine>();
  machine_ = machine.get();
  machine->type = options_.type;
  machine->definition = std::move(parsed).value();
  const Json& def = machine->definition;

  if (auto ql = def.find("QueryLanguage"); ql != def.end()) {
    if (*ql == "JSONata") {
      machine->query_language = QueryLanguage::kJsonata;
    } else if (*ql != "JSONPath") {
      Error("The field 'QueryLanguage' should have one of these values: [JSONata, JSONPath]",
            "/QueryLanguage");
    }
  }
  if (auto c = def.find("Comment"); c != def.end()) {
    if (c->is_string()) {
      machine->comment = c->get<std::string>();
    } else {
      Error("The value for the field 'Comment' must be a STRING", "/Comment");
    }
  }
  if (auto v = def.find("Version"); v != def.end() && !v->is_string()) {
    Error("The value for the field 'Version' must be a STRING", "/Version");
  }
  if (auto t = def.find("TimeoutSeconds"); t != def.end()) {
    if (!IsIntegral(*t) || t->get<double>() < 0) {
      Error("The value for the field 'TimeoutSeconds' must be a positive integer",
            "/TimeoutSeconds");
    } else {
      machine->timeout_seconds = static_cast<int64_t>(t->get<double>());
    }
  }
  CheckFields(def, {"Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"},
              "/");
  machine->graphs.push_back(&machine->root);
  machine->root.id = 0;
  CompileGraph(def, "", &machine->root, false);
  for (const Diagnostic& d : *diags_) {
    if (d.severity == Severity::kError) return nullptr;
  }
  return machine;
}

bool Compiler::CompileGraph(const Json& obj, const std::string& location, StateGraph* graph,
                            bool allow_processor_config) {
  // The states of a nested graph set jsonata_ for themselves; the enclosing
  // Parallel or Map state goes on compiling in its own language.
  struct Restore {
    bool& flag;
    bool saved;
    ~Restore() { flag = saved; }
  } restore{jsonata_, jsonata_};
  graph->location = location;
  const std::string here = location.empty() ? "/" : location;
  std::vector<std::string> missing;
  if (!obj.contains("StartAt")) missing.push_back("StartAt");
  if (!obj.contains("States")) missing.push_back("States");
  if (!missing.empty()) {
    std::string m = "These fields are required: [";
    for (size_t i = 0; i < missing.size(); ++i) m += (i ? ", " : "") + missing[i];
    Error(m + "]", here);
    return false;
  }
  if (location.size()) {
    std::set<std::string> allowed = {"StartAt", "States", "Comment", "QueryLanguage"};
    if (allow_processor_config) allowed.insert("ProcessorConfig");
    CheckFields(obj, allowed, location);
  }
  const Json& states = obj["States"];
  if (!states.is_object() || states.empty()) {
    Error("The value for the field 'States' must be a non-empty OBJECT", location + "/States");
    return false;
  }
  if (!obj["StartAt"].is_string()) {
    Error("The value for the field 'StartAt' must be a STRING", location + "/StartAt");
    return false;
  }
  int i = 0;
  for (const auto& [name, s] : states.items()) {
    graph->index_by_name.emplace(name, i++);
  }
  graph->states.resize(states.size());
  bool ok = true;
  i = 0;
  for (const auto& [name, s] : states.items()) {
    const std::string loc = location + "/States/" + name;
    if (!names_.insert(name).second) {
      Error("Duplicate State name: " + name, loc, "DUPLICATE_STATE_NAME");
      ok = false;
    }
    if (name.empty() || name.size() > 80) {
      Error("The state name must be between 1 and 80 characters", loc);
      ok = false;
    }
    auto state = CompileState(name, s, loc, *graph);
    if (!state) {
      ok = false;
      ++i;
      continue;
    }
    graph->states[static_cast<size_t>(i++)] = std::move(state);
  }
  const std::string start = obj["StartAt"].get<std::string>();
  graph->start = graph->Find(start);
  if (graph->start < 0) {
    Error("Missing 'Next' target: " + start, location + "/StartAt", "MISSING_TRANSITION_TARGET");
    ok = false;
  }
  const size_t before = diags_->size();
  CheckReachable(states, start, location);
  return ok && diags_->size() == before;
}

// AWS rejects a state that neither StartAt nor any other state's transition (Next, Default, a
// Choice rule's Next, a Catcher's Next) names: "MISSING_TRANSITION_TARGET: State \"X\" is not
// reachable. at /States/X", one per state, after the missing-target diagnostics. It counts
// references, not a walk from StartAt: with a missing StartAt target, a state named by another
// state's Next is still not reported (cfn-lint issue #4074 quotes AWS's answer for that case).
void Compiler::CheckReachable(const Json& states, const std::string& start,
                              const std::string& location) {
  std::set<std::string> referenced = {start};
  auto add = [&](const Json& holder, const std::string& self) {
    if (!holder.is_object()) return;
    for (const char* field : {"Next", "Default"}) {
      auto it = holder.find(field);
      if (it != holder.end() && it->is_string() && it->get_ref<const std::string&>() != self) {
        referenced.insert(it->get<std::string>());
      }
    }
  };
  for (const auto& [name, s] : states.items()) {
    if (!s.is_object()) return;  // already reported; its transitions are unknown
    add(s, name);
    for (const char* list : {"Choices", "Catch"}) {
      auto it = s.find(list);
      if (it == s.end() || !it->is_array()) continue;
      for (const Json& element : *it) add(element, name);
    }
  }
  for (const auto& [name, s] : states.items()) {
    if (!referenced.count(name)) {
      Error("State \"" + name + "\" is not reachable.", location + "/States/" + name,
            "MISSING_TRANSITION_TARGET");
    }
  }
}

std::unique_ptr<State> Compiler::CompileState(const std::string& name, const Json& s,
                                              const std::string& loc, const StateGraph& g) {
  if (!s.is_object()) {
    Error("The value for the state '" + name + "' must be an OBJECT", loc);
    return nullptr;
  }
  // A state uses the machine's language unless it names its own; a machine
  // in JSONata cannot have JSONPath states (the reverse is allowed).
  jsonata_ = machine_->query_language == QueryLanguage::kJsonata;
  if (auto ql = s.find("QueryLanguage"); ql != s.end()) {
    if (*ql == "JSONata") {
      jsonata_ = true;
    } else if (*ql != "JSONPath") {
      Error("The field 'QueryLanguage' should have one of these values: [JSONata, JSONPath]",
            loc + "/QueryLanguage");
      return nullptr;
    } else if (jsonata_) {
      Error(
          "The QueryLanguage of a state cannot be 'JSONPath' when the state machine's "
          "QueryLanguage is 'JSONata'",
          loc + "/QueryLanguage");
      return nullptr;
    }
  }
  auto type = s.find("Type");
  if (type == s.end()) {
    Error("These fields are required: [Type]", loc);
    return nullptr;
  }
  const std::string t = type->is_string() ? type->get<std::string>() : "";
  std::unique_ptr<State> state;
  if (t == "Pass") {
    state = CompilePass(s, loc, g);
  } else if (t == "Task") {
    state = CompileTask(s, loc, g);
  } else if (t == "Choice") {
    state = CompileChoice(s, loc, g);
  } else if (t == "Wait") {
    state = CompileWait(s, loc, g);
  } else if (t == "Succeed") {
    state = CompileSucceed(s, loc, g);
  } else if (t == "Fail") {
    state = CompileFail(s, loc, g);
  } else if (t == "Parallel") {
    state = CompileParallel(s, loc, g);
  } else if (t == "Map") {
    state = CompileMap(s, loc, g);
  } else {
    Error(
        "The field 'Type' should have one of these values: "
        "[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]",
        loc + "/Type");
    return nullptr;
  }
  if (!state) return nullptr;
  state->name = name;
  state->location = loc;
  state->query_language = jsonata_ ? QueryLanguage::kJsonata : QueryLanguage::kJsonPath;
  state->uses_context = jsonata_ ? ReadsStatesContext(s) : ContainsContextRef(s);
  return state;
}

int Compiler::ResolveNext(const Json& value, const std::string& location, const StateGraph& g,
                          std::string_view field) {
  if (!value.is_string()) {
    Error("The value for the field '" + std::string(field) + "' must be a STRING", location);
    return -1;
  }
  const std::string name = value.get<std::string>();
  int idx = g.Find(name);
  if (idx < 0) {
    Error("Missing 'Next' target: " + name, location, "MISSING_TRANSITION_TARGET");
  }
  return idx;
}

bool Compiler::CheckVariableNames(const Json& assign, const std::string& loc, bool jsonpath) {
  bool ok = true;
  for (const auto& [key, value] : assign.items()) {
    std::string_view name = key;
    if (jsonpath && name.ends_with(".$")) name.remove_suffix(2);
    if (std::string why = InvalidVariableName(name); !why.empty()) {
      Error("The variable name '" + std::string(name) + "' is not valid: " + why, loc + "/" + key);
      ok = false;
    }
  }
  return ok;
}

std::set<std::string> Compiler::StateFields(std::set<std::string> jsonpath,
                                            std::initializer_list<const char*> jsonata) const {
  if (!jsonata_) return jsonpath;
  for (const std::string& f : JsonPathOnlyFields()) jsonpath.erase(f);
  for (const char* f : jsonata) jsonpath.insert(f);
  return jsonpath;
}

bool Compiler::CompileJsonata(const Json& s, std::string_view field, const std::string& location,
                              std::optional<JsonataTemplate>* out, bool object_or_expression) {
  auto it = s.find(std::string(field));
  if (it == s.end()) return true;
  const std::string loc = location + "/" + std::string(field);
  if (field == "Assign" && !CheckAssign(*it, loc, /*jsonpath=*/false)) return false;
  if (object_or_expression && !it->is_object() &&
      !(it->is_string() && IsJsonataExpression(it->get_ref<const std::string&>()))) {
    Error("The value for the field '" + std::string(field) +
              "' must be an OBJECT or a JSONata expression",
          loc);
    return false;
  }
  JsonataTemplate t;
  if (!JsonataTemplate::Compile(*it, std::string(field), loc, diags_, &t)) return false;
  *out = std::move(t);
  return true;
}

bool Compiler::CompileTemplate(const Json& s, std::string_view field, const std::string& location,
                               std::optional<PayloadTemplate>* out) {
  auto it = s.find(std::string(field));
  if (it == s.end()) return true;
  const std::string loc = location + "/" + std::string(field);
  if (field == "Assign" && !CheckAssign(*it, loc, /*jsonpath=*/true)) return false;
  auto t = PayloadTemplate::Compile(*it, loc, diags_);
  if (!t.ok()) return false;
  *out = std::move(t).value();
  return true;
}

bool Compiler::CompileOptionalPath(const Json& s, std::string_view field,
                                   const std::string& location, std::optional<PathExpr>* out,
                                   std::string* text) {
  auto it = s.find(std::string(field));
  if (it == s.end()) return true;
  const std::string loc = location + "/" + std::string(field);
  if (!it->is_string()) {
    Error("The value for the field '" + std::string(field) + "' must be a STRING", loc);
    return false;
  }
  auto p = PathExpr::Parse(it->get<std::string>());
  if (!p.ok()) {
    Error("The value for the field '" + std::string(field) + "' must be a valid JSONPath", loc);
    return false;
  }
  *text = it->get<std::string>();
  *out = std::move(p).value();
  return true;
}

bool Compiler::CompileIntOrPath(const Json& s, std::string_view field, const std::string& location,
                                int64_t min, IntOrPath* out) {
  const std::string f(field);
  const std::string fp = f + "Path";
  const bool has_value = s.contains(f);
  const bool has_path = s.contains(fp);
  if (has_value && has_path) {
    Error("These fields cannot be specified together: [" + f + ", " + fp + "]", location);
    return false;
  }
  if (has_value && jsonata_ && s[f].is_string() &&
      IsJsonataExpression(s[f].get_ref<const std::string&>())) {
    JsonataTemplate t;
    if (!JsonataTemplate::Compile(s[f], f, location + "/" + f, diags_, &t)) return false;
    out->expression = std::move(t);
    return true;
  }
  if (has_value) {
    const Json& v = s[f];
    if (!IsIntegral(v) || v.get<double>() < static_cast<double>(min) ||
        v.get<double>() > 99999999) {
      Error(
          "The value for the field '" + f + "' must be " +
              (min > 0 ? std::string("a positive integer") : std::string("a non-negative integer")),
          location + "/" + f);
      return false;
    }
    out->value = static_cast<int64_t>(v.get<double>());
  }
  if (has_path) {
    std::optional<PathExpr> p;
    if (!CompileOptionalPath(s, fp, location, &p, &out->path_text)) return false;
    out->path = std::move(p);
  }
  return true;
}

bool Compiler::CompileCommon(const Json& s, const std::string& loc, const StateGraph& g,
                             State* state, bool terminal, bool has_result, bool has_parameters) {
  bool ok = true;
  if (!terminal) {
    const bool has_next = s.contains("Next");
    const bool end = s.contains("End") && s["End"] == true;
    if (s.contains("End") && !s["End"].is_boolean()) {
      Error("The value for the field 'End' must be a BOOLEAN", loc + "/End");
      ok = false;
    }
    if (has_next && end) {
      Error("These fields cannot be specified together: [End, Next]", loc);
      ok = false;
    } else if (!has_next && !end) {
      Error("No transition found: exactly one of these fields is required: [End, Next]", loc);
      ok = false;
    } else if (has_next) {
      state->next = ResolveNext(s["Next"], loc + "/Next", g);
      if (state->next < 0) ok = false;
    } else {
      state->end = true;
    }
  }
  if (jsonata_) {
    if (state->type != StateType::kFail) ok &= CompileJsonata(s, "Output", loc, &state->output);
    if (state->type != StateType::kSucceed && state->type != StateType::kFail) {
      ok &= CompileJsonata(s, "Assign", loc, &state->jsonata_assign);
    }
    return ok;
  }
  if (state->type != StateType::kFail) {
    ok &= SelectPath::Compile(s.contains("InputPath") ? &s["InputPath"] : nullptr, "InputPath",
                              loc + "/InputPath", diags_, &state->input_path);
  }
  if (state->type != StateType::kFail) {
    ok &= SelectPath::Compile(s.contains("OutputPath") ? &s["OutputPath"] : nullptr, "OutputPath",
                              loc + "/OutputPath", diags_, &state->output_path);
  }
  if (has_result) {
    ok &= ResultPath::Compile(s.contains("ResultPath") ? &s["ResultPath"] : nullptr,
                              loc + "/ResultPath", diags_, &state->result_path);
  }
  if (has_parameters) ok &= CompileTemplate(s, "Parameters", loc, &state->parameters);
  if (state->type != StateType::kSucceed && state->type != StateType::kFail) {
    ok &= CompileTemplate(s, "Assign", loc, &state->assign);
  }
  return ok;
}

bool Compiler::CompileRetry(const Json& s, const std::string& loc, State* state) {
  auto it = s.find("Retry");
  if (it == s.end()) return true;
  if (!it->is_array()) {
    Error("The value for the field 'Retry' must be an ARRAY", loc + "/Retry");
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& r = (*it)[i];
    const std::string rl = loc + "/Retry/" + std::to_string(i);
    if (!r.is_object()) {
      Error("The value for the field 'Retry' must be an ARRAY of OBJECTs", rl);
      ok = false;
      continue;
    }
    ok &= CheckFields(r,
                      {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
                       "MaxDelaySeconds", "JitterStrategy", "Comment"},
                      rl);
    Retrier retrier;
    if (!r.contains("ErrorEquals") || !r["ErrorEquals"].is_array() || r["ErrorEquals"].empty()) {
      Error("These fields are required: [ErrorEquals]", rl);
      ok = false;
      continue;
    }
    for (const Json& e : r["ErrorEquals"]) {
      if (!e.is_string()) {
        Error("The value for the field 'ErrorEquals' must be an ARRAY of STRINGs",
              rl + "/ErrorEquals");
        ok = false;
        continue;
      }
      retrier.error_equals.push_back(e.get<std::string>());
    }
    const auto& ee = retrier.error_equals;
    if (std::find(ee.begin(), ee.end(), "States.ALL") != ee.end() && ee.size() > 1) {
      Error("Error name 'States.ALL' must be the only element of 'ErrorEquals'",
            rl + "/ErrorEquals");
      ok = false;
    }
    if (std::find(ee.begin(), ee.end(), "States.ALL") != ee.end() && i + 1 != it->size()) {
      Error("Retrier with 'States.ALL' must be the last retrier", rl);
      ok = false;
    }
    if (r.contains("IntervalSeconds")) {
      const Json& v = r["IntervalSeconds"];
      if (!IsIntegral(v) || v.get<double>() < 1 || v.get<double>() > 99999999) {
        Error("The value for the field 'IntervalSeconds' must be a positive integer",
              rl + "/IntervalSeconds");
        ok = false;
      } else {
        retrier.interval_seconds = v.get<double>();
      }
    }
    if (r.contains("MaxAttempts")) {
      const Json& v = r["MaxAttempts"];
      if (!IsIntegral(v) || v.get<double>() < 0 || v.get<double>() > 99999999) {
        Error("The value for the field 'MaxAttempts' must be a non-negative integer",
              rl + "/MaxAttempts");
        ok = false;
      } else {
        retrier.max_attempts = static_cast<int>(v.get<double>());
      }
    }
    if (r.contains("BackoffRate")) {
      const Json& v = r["BackoffRate"];
      if (!v.is_number() || v.get<double>() < 1.0) {
        Error("The value for the field 'BackoffRate' must be a number greater than or equal to 1.0",
              rl + "/BackoffRate");
        ok = false;
      } else {
        retrier.backoff_rate = v.get<double>();
      }
    }
    if (r.contains("MaxDelaySeconds")) {
      const Json& v = r["MaxDelaySeconds"];
      if (!IsIntegral(v) || v.get<double>() < 1 || v.get<double>() > 31622400) {
        Error("The value for the field 'MaxDelaySeconds' must be a positive integer",
              rl + "/MaxDelaySeconds");
        ok = false;
      } else {
        retrier.max_delay_seconds = v.get<double>();
      }
    }
    if (r.contains("JitterStrategy")) {
      const Json& v = r["JitterStrategy"];
      if (v == "FULL") {
        retrier.full_jitter = true;
      } else if (v != "NONE") {
        Error("The field 'JitterStrategy' should have one of these values: [FULL, NONE]",
              rl + "/JitterStrategy");
        ok = false;
      }
    }
    state->retriers.push_back(std::move(retrier));
  }
  return ok;
}

bool Compiler::CompileCatch(const Json& s, const std::string& loc, const StateGraph& g,
                            State* state) {
  auto it = s.find("Catch");
  if (it == s.end()) return true;
  if (!it->is_array()) {
    Error("The value for the field 'Catch' must be an ARRAY", loc + "/Catch");
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& c = (*it)[i];
    const std::string cl = loc + "/Catch/" + std::to_string(i);
    if (!c.is_object()) {
      Error("The value for the field 'Catch' must be an ARRAY of OBJECTs", cl);
      ok = false;
      continue;
    }
    ok &= CheckFields(c,
                      jsonata_ ? std::set<std::string>{"ErrorEquals", "Next", "Output", "Assign",
                                                       "Comment"}
                               : std::set<std::string>{"ErrorEquals", "Next", "ResultPath",
                                                       "Assign", "Comment"},
                      cl);
    Catcher catcher;
    if (!c.contains("ErrorEquals") || !c["ErrorEquals"].is_array() || c["ErrorEquals"].empty()) {
      Error("These fields are required: [ErrorEquals]", cl);
      ok = false;
      continue;
    }
    for (const Json& e : c["ErrorEquals"]) {
      if (e.is_string()) catcher.error_equals.push_back(e.get<std::string>());
    }
    const auto& ee = catcher.error_equals;
    if (std::find(ee.begin(), ee.end(), "States.ALL") != ee.end() && ee.size() > 1) {
      Error("Error name 'States.ALL' must be the only element of 'ErrorEquals'",
            cl + "/ErrorEquals");
      ok = false;
    }
    if (std::find(ee.begin(), ee.end(), "States.ALL") != ee.end() && i + 1 != it->size()) {
      Error("Catcher with 'States.ALL' must be the last catcher", cl);
      ok = false;
    }
    if (!c.contains("Next")) {
      Error("These fields are required: [Next]", cl);
      ok = false;
      continue;
    }
    catcher.next = ResolveNext(c["Next"], cl + "/Next", g);
    if (catcher.next < 0) ok = false;
    if (jsonata_) {
      ok &= CompileJsonata(c, "Output", cl, &catcher.output);
      ok &= CompileJsonata(c, "Assign", cl, &catcher.jsonata_assign);
    } else {
      ok &= ResultPath::Compile(c.contains("ResultPath") ? &c["ResultPath"] : nullptr,
                                cl + "/ResultPath", diags_, &catcher.result_path);
      ok &= CompileTemplate(c, "Assign", cl, &catcher.assign);
    }
    state->catchers.push_back(std::move(catcher));
  }
  return ok;
}

std::unique_ptr<State> Compiler::CompilePass(const Json& s, const std::string& loc,
                                             const StateGraph& g) {
  auto st = std::make_unique<PassState>();
  st->type = StateType::kPass;
  bool ok = CheckFields(s,
                        StateFields({"Type", "Comment", "Next", "End", "InputPath", "OutputPath",
                                     "ResultPath", "Parameters", "Result", "Assign",
                                     "QueryLanguage"},
                                    {"Output"}),
                        loc);
  ok &= CompileCommon(s, loc, g, st.get(), false, true, true);
  if (s.contains("Result") && !jsonata_) st->result = s["Result"];
  return ok ? std::move(st) : nullptr;
}

std::unique_ptr<State> Compiler::CompileTask(const Json& s, const std::string& loc,
                                             const StateGraph& g) {
  auto st = std::make_unique<TaskState>();
  st->type = StateType::kTask;
  bool ok = CheckFields(
      s,
      StateFields({"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "ResultPath",
                   "Parameters", "ResultSelector", "Retry", "Catch", "Resource", "TimeoutSeconds",
                   "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath",
                   "Credentials", "Assign", "QueryLanguage"},
                  {"Arguments", "Output"}),
      loc);
  ok &= CompileCommon(s, loc, g, st.get(), false, true, true);
  if (jsonata_) {
    ok &= CompileJsonata(s, "Arguments", loc, &st->arguments, true);
  } else {
    ok &= CompileTemplate(s, "ResultSelector", loc, &st->result_selector);
  }
  ok &= CompileRetry(s, loc, st.get());
  ok &= CompileCatch(s, loc, g, st.get());
  if (!s.contains("Resource")) {
    Error("These fields are required: [Resource]", loc);
    return nullptr;
  }
  if (!s["Resource"].is_string()) {
    Error("The value for the field 'Resource' must be a STRING", loc + "/Resource");
    return nullptr;
  }
  st->resource = s["Resource"].get<std::string>();
  const std::string& r = st->resource;
  if (r.rfind("arn:", 0) != 0) {
    Error("The resource provided " + r +
              " is not recognized. The value is not a valid resource ARN, or the resource is not "
              "available in this region.",
          loc + "/Resource");
    ok = false;
  }
  constexpr std::string_view kStates = "arn:aws:states:::";
  if (r.rfind(kStates, 0) == 0) {
    std::string rest = r.substr(kStates.size());
    std::string service = rest.substr(0, rest.find(':'));
    std::string action = rest.find(':') == std::string::npos ? "" : rest.substr(rest.find(':') + 1);
    std::string base_action = action.substr(0, action.find('.'));
    std::string suffix =
        action.find('.') == std::string::npos ? "" : action.substr(action.find('.'));
    st->wait_for_task_token = suffix == ".waitForTaskToken";
    const auto& known = KnownIntegrations();
    auto k = known.find(service);
    if (service != "aws-sdk" && service != "activity" && k != known.end() &&
        !k->second.count(base_action)) {
      Error("The resource provided " + r +
                " is not recognized. The value is not a valid resource ARN, or the resource is not "
                "available in this region.",
            loc + "/Resource");
      ok = false;
    }
    // The HTTP task is request-response only, as on AWS.
    if (service == "http" && !suffix.empty()) {
      Error("The resource provided " + r +
                " is not recognized. The value is not a valid resource ARN, or the resource is not "
                "available in this region.",
            loc + "/Resource");
      ok = false;
    }
    // Nested executions: request-response, .sync, .sync:2 or
    // .waitForTaskToken, as on AWS.
    if (service == "states" && !suffix.empty() && suffix != ".sync" && suffix != ".sync:2" &&
        suffix != ".waitForTaskToken") {
      Error("The resource provided " + r +
                " is not recognized. The value is not a valid resource ARN, or the resource is not "
                "available in this region.",
            loc + "/Resource");
      ok = false;
    }
    if (options_.type == StateMachineType::kExpress &&
        (suffix == ".waitForTaskToken" || suffix == ".sync" || suffix == ".sync:2")) {
      Error("Express state machine does not support '" + suffix + "' service integration ",
            loc + "/Resource");
      ok = false;
    }
  }
  ok &= CompileIntOrPath(s, "TimeoutSeconds", loc, 1, &st->timeout_seconds);
  ok &= CompileIntOrPath(s, "HeartbeatSeconds", loc, 1, &st->heartbeat_seconds);
  if (st->timeout_seconds.value && st->heartbeat_seconds.value &&
      *st->heartbeat_seconds.value >= *st->timeout_seconds.value) {
    Error("The value of 'HeartbeatSeconds' must be less than the value of 'TimeoutSeconds'",
          loc + "/HeartbeatSeconds");
    ok = false;
  }
  if (s.contains("Credentials")) {
    const Json& c = s["Credentials"];
    if (!c.is_object()) {
      Error("The value for the field 'Credentials' must be an OBJECT", loc + "/Credentials");
      ok = false;
    } else if (!c.contains("RoleArn") && !c.contains("RoleArn.$")) {
      Error("The field 'RoleArn' is required but was missing", loc + "/Credentials");
      ok = false;
    } else {
      st->credentials = c;
    }
  }
  return ok ? std::move(st) : nullptr;
}

std::unique_ptr<State> Compiler::CompileChoice(const Json& s, const std::string& loc,
                                               const StateGraph& g) {
  auto st = std::make_unique<ChoiceState>();
  st->type = StateType::kChoice;
  bool ok = CheckFields(s,
                        StateFields({"Type", "Comment", "InputPath", "OutputPath", "Choices",
                                     "Default", "Assign", "QueryLanguage"},
                                    {"Output"}),
                        loc);
  ok &= CompileCommon(s, loc, g, st.get(), true, false, false);
  if (!s.contains("Choices")) {
    Error("These fields are required: [Choices]", loc);
    return nullptr;
  }
  const Json& choices = s["Choices"];
  if (!choices.is_array() || choices.empty()) {
    Error("The value for the field 'Choices' must be a non-empty ARRAY", loc + "/Choices");
    return nullptr;
  }
  for (size_t i = 0; i < choices.size(); ++i) {
    const std::string cl = loc + "/Choices/" + std::to_string(i);
    if (jsonata_) {
      ok &= CompileJsonataChoice(choices[i], cl, g, st.get());
      continue;
    }
    auto rule = ChoiceRule::Compile(choices[i], cl, true, diags_);
    if (!rule.ok()) {
      ok = false;
      continue;
    }
    ChoiceBranch b;
    b.rule = std::move(rule).value();
    b.next = ResolveNext(Json(b.rule.next()), cl + "/Next", g);
    if (b.next < 0) ok = false;
    if (!b.rule.assign().is_null() && b.rule.assign().is_object() &&
        !CheckVariableNames(b.rule.assign(), cl + "/Assign", true)) {
      ok = false;
    } else if (!b.rule.assign().is_null()) {
      auto t = PayloadTemplate::Compile(b.rule.assign(), cl + "/Assign", diags_);
      if (!t.ok()) {
        ok = false;
      } else {
        b.assign = std::move(t).value();
      }
    }
    st->choices.push_back(std::move(b));
  }
  if (s.contains("Default")) {
    st->default_next = ResolveNext(s["Default"], loc + "/Default", g, "Default");
    if (st->default_next < 0) ok = false;
  }
  return ok ? std::move(st) : nullptr;
}

// A JSONata Choice rule: {"Condition": true | "{% expr %}", "Next", "Assign"?,
// "Output"?, "Comment"?}.
bool Compiler::CompileJsonataChoice(const Json& rule, const std::string& cl, const StateGraph& g,
                                    ChoiceState* st) {
  if (!rule.is_object()) {
    Error("The value for the field 'Choices' must be an ARRAY of OBJECTs", cl);
    return false;
  }
  bool ok = CheckFields(rule, {"Condition", "Next", "Assign", "Output", "Comment"}, cl);
  if (!rule.contains("Condition") || !rule.contains("Next")) {
    Error(std::string("These fields are required: [") +
              (!rule.contains("Condition") ? "Condition" : "Next") + "]",
          cl);
    return false;
  }
  const Json& c = rule["Condition"];
  if (!c.is_boolean() && !(c.is_string() && IsJsonataExpression(c.get_ref<const std::string&>()))) {
    Error("The value for the field 'Condition' must be a BOOLEAN or a JSONata expression",
          cl + "/Condition");
    return false;
  }
  ChoiceBranch b;
  ok &= CompileJsonata(rule, "Condition", cl, &b.condition);
  ok &= CompileJsonata(rule, "Output", cl, &b.output);
  ok &= CompileJsonata(rule, "Assign", cl, &b.jsonata_assign);
  b.next = ResolveNext(rule["Next"], cl + "/Next", g);
  if (b.next < 0) ok = false;
  st->choices.push_back(std::move(b));
  return ok;
}

bool LooksLikeRfc3339(std::string_view t) {
  // yyyy-mm-ddThh:mm:ss[.fff][Z|+hh:mm]: the shape CreateStateMachine checks;
  // calendar validity and the offset are checked when the state runs.
  auto digits = [&](size_t pos, size_t n) {
    if (pos + n > t.size()) return false;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
    }
    return true;
  };
  return t.size() >= 19 && digits(0, 4) && t[4] == '-' && digits(5, 2) && t[7] == '-' &&
         digits(8, 2) && (t[10] == 'T' || t[10] == 't') && digits(11, 2) && t[13] == ':' &&
         digits(14, 2) && t[16] == ':' && digits(17, 2);
}

std::unique_ptr<State> Compiler::CompileWait(const Json& s, const std::string& loc,
                                             const StateGraph& g) {
  auto st = std::make_unique<WaitState>();
  st->type = StateType::kWait;
  bool ok = CheckFields(s,
                        StateFields({"Type", "Comment", "Next", "End", "InputPath", "OutputPath",
                                     "Seconds", "Timestamp", "SecondsPath", "TimestampPath",
                                     "Assign", "QueryLanguage"},
                                    {"Output"}),
                        loc);
  ok &= CompileCommon(s, loc, g, st.get(), false, false, false);
  if (jsonata_) {
    if (s.contains("Seconds") == s.contains("Timestamp")) {
      Error("Exactly one of these fields is required: [Seconds, Timestamp]", loc);
      return nullptr;
    }
    for (const char* f : {"Seconds", "Timestamp"}) {
      if (!s.contains(f) || !s[f].is_string() ||
          !IsJsonataExpression(s[f].get_ref<const std::string&>())) {
        continue;
      }
      ok &= CompileJsonata(s, f, loc,
                           std::string_view(f) == "Seconds" ? &st->seconds_expression
                                                            : &st->timestamp_expression);
    }
    if (st->seconds_expression || st->timestamp_expression) {
      return ok ? std::move(st) : nullptr;
    }
  }
  int n = 0;
  for (const char* f : {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"}) n += s.contains(f);
  if (n != 1) {
    Error(
        "Exactly one of these fields is required: [Seconds, Timestamp, SecondsPath, TimestampPath]",
        loc);
    return nullptr;
  }
  if (s.contains("Seconds")) {
    const Json& v = s["Seconds"];
    if (!IsIntegral(v) || v.get<double>() < 0 || v.get<double>() > 99999999) {
      Error("The value for the field 'Seconds' must be a non-negative integer", loc + "/Seconds");
      ok = false;
    } else {
      st->seconds = static_cast<int64_t>(v.get<double>());
    }
  }
  if (s.contains("Timestamp")) {
    const Json& v = s["Timestamp"];
    if (!v.is_string() || !LooksLikeRfc3339(v.get<std::string>())) {
      Error("String does not match RFC3339 timestamp", loc + "/Timestamp");
      ok = false;
    } else {
      st->timestamp = v.get<std::string>();
    }
  }
  ok &= CompileOptionalPath(s, "SecondsPath", loc, &st->seconds_path, &st->path_text);
  ok &= CompileOptionalPath(s, "TimestampPath", loc, &st->timestamp_path, &st->path_text);
  return ok ? std::move(st) : nullptr;
}

std::unique_ptr<State> Compiler::CompileSucceed(const Json& s, const std::string& loc,
                                                const StateGraph& g) {
  auto st = std::make_unique<SucceedState>();
  st->type = StateType::kSucceed;
  bool ok = CheckFields(
      s, StateFields({"Type", "Comment", "InputPath", "OutputPath", "QueryLanguage"}, {"Output"}),
      loc);
  ok &= CompileCommon(s, loc, g, st.get(), true, false, false);
  return ok ? std::move(st) : nullptr;
}

std::unique_ptr<State> Compiler::CompileFail(const Json& s, const std::string& loc,
                                             const StateGraph& g) {
  auto st = std::make_unique<FailState>();
  st->type = StateType::kFail;
  bool ok = CheckFields(
      s,
      StateFields({"Type", "Comment", "Error", "Cause", "ErrorPath", "CausePath", "QueryLanguage"},
                  {}),
      loc);
  ok &= CompileCommon(s, loc, g, st.get(), true, false, false);
  if (jsonata_) {
    for (const char* f : {"Error", "Cause"}) {
      if (!s.contains(f)) continue;
      const Json& v = s[f];
      if (!v.is_string()) {
        Error("The value for the field '" + std::string(f) + "' must be a STRING",
              loc + "/" + f);
        ok = false;
      } else if (IsJsonataExpression(v.get_ref<const std::string&>())) {
        ok &= CompileJsonata(s, f, loc,
                             std::string_view(f) == "Error" ? &st->error_expression
                                                            : &st->cause_expression);
      } else {
        (std::string_view(f) == "Error" ? st->error : st->cause) = v.get<std::string>();
      }
    }
    return ok ? std::move(st) : nullptr;
  }
  for (const char* pair : {"Error", "Cause"}) {
    const std::string f = pair;
    const std::string fp = f + "Path";
    if (s.contains(f) && s.contains(fp)) {
      Error("These fields cannot be specified together: [" + f + ", " + fp + "]", loc);
      ok = false;
      continue;
    }
    auto& literal = f == "Error" ? st->error : st->cause;
    auto& path = f == "Error" ? st->error_path : st->cause_path;
    auto& call = f == "Error" ? st->error_call : st->cause_call;
    auto& text = f == "Error" ? st->error_path_text : st->cause_path_text;
    if (s.contains(f)) {
      if (!s[f].is_string()) {
        Error("The value for the field '" + f + "' must be a STRING", loc + "/" + f);
        ok = false;
      } else {
        literal = s[f].get<std::string>();
      }
    }
    if (s.contains(fp)) {
      const Json& v = s[fp];
      if (!v.is_string()) {
        Error("The value for the field '" + fp + "' must be a STRING", loc + "/" + fp);
        ok = false;
        continue;
      }
      text = v.get<std::string>();
      if (LooksLikeIntrinsic(text)) {
        auto c = IntrinsicCall::Parse(text);
        if (!c.ok()) {
          Error("The value for the field '" + fp +
                    "' must be a valid JSONPath or a valid intrinsic function call",
                loc + "/" + fp);
          ok = false;
        } else {
          call = std::move(c).value();
        }
      } else {
        auto p = PathExpr::Parse(text);
        if (!p.ok()) {
          Error("The value for the field '" + fp +
                    "' must be a valid JSONPath or a valid intrinsic function call",
                loc + "/" + fp);
          ok = false;
        } else {
          path = std::move(p).value();
        }
      }
    }
  }
  return ok ? std::move(st) : nullptr;
}

std::unique_ptr<State> Compiler::CompileParallel(const Json& s, const std::string& loc,
                                                 const StateGraph& g) {
  auto st = std::make_unique<ParallelState>();
  st->type = StateType::kParallel;
  bool ok = CheckFields(
      s,
      StateFields({"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "ResultPath",
                   "Parameters", "ResultSelector", "Retry", "Catch", "Branches", "Assign",
                   "QueryLanguage"},
                  {"Arguments", "Output"}),
      loc);
  ok &= CompileCommon(s, loc, g, st.get(), false, true, true);
  if (jsonata_) {
    ok &= CompileJsonata(s, "Arguments", loc, &st->arguments, true);
  } else {
    ok &= CompileTemplate(s, "ResultSelector", loc, &st->result_selector);
  }
  ok &= CompileRetry(s, loc, st.get());
  ok &= CompileCatch(s, loc, g, st.get());
  if (!s.contains("Branches")) {
    Error("These fields are required: [Branches]", loc);
    return nullptr;
  }
  const Json& branches = s["Branches"];
  if (!branches.is_array() || branches.empty()) {
    Error("The value for the field 'Branches' must be a non-empty ARRAY", loc + "/Branches");
    return nullptr;
  }
  for (size_t i = 0; i < branches.size(); ++i) {
    const std::string bl = loc + "/Branches/" + std::to_string(i);
    if (!branches[i].is_object()) {
      Error("The value for the field 'Branches' must be an ARRAY of OBJECTs", bl);
      ok = false;
      continue;
    }
    auto graph = std::make_unique<StateGraph>();
    graph->id = static_cast<int>(machine_->graphs.size());
    machine_->graphs.push_back(graph.get());
    ok &= CompileGraph(branches[i], bl, graph.get(), false);
    st->branches.push_back(std::move(graph));
  }
  return ok ? std::move(st) : nullptr;
}

std::unique_ptr<State> Compiler::CompileMap(const Json& s, const std::string& loc,
                                            const StateGraph& g) {
  auto st = std::make_unique<MapState>();
  st->type = StateType::kMap;
  bool ok = CheckFields(s,
                        StateFields({"Type",
                         "Comment",
                         "Next",
                         "End",
                         "InputPath",
                         "OutputPath",
                         "ResultPath",
                         "Parameters",
                         "ResultSelector",
                         "Retry",
                         "Catch",
                         "ItemProcessor",
                         "Iterator",
                         "ItemsPath",
                         "ItemSelector",
                         "MaxConcurrency",
                         "MaxConcurrencyPath",
                         "ToleratedFailurePercentage",
                         "ToleratedFailurePercentagePath",
                         "ToleratedFailureCount",
                         "ToleratedFailureCountPath",
                         "Label",
                         "ItemReader",
                         "ResultWriter",
                         "ItemBatcher",
                         "Assign",
                         "QueryLanguage"}, {"Items", "Output"}),
                        loc);
  ok &= CompileCommon(s, loc, g, st.get(), false, true, false);
  ok &= CompileRetry(s, loc, st.get());
  ok &= CompileCatch(s, loc, g, st.get());
  if (jsonata_) {
    ok &= CompileJsonata(s, "ItemSelector", loc, &st->jsonata_item_selector);
    if (s.contains("Items")) {
      const Json& items = s["Items"];
      if (!items.is_array() &&
          !(items.is_string() && IsJsonataExpression(items.get_ref<const std::string&>()))) {
        Error("The value for the field 'Items' must be an ARRAY or a JSONata expression",
              loc + "/Items");
        ok = false;
      } else {
        ok &= CompileJsonata(s, "Items", loc, &st->items);
      }
    }
    for (const char* f : {"ToleratedFailurePercentage", "ToleratedFailureCount"}) {
      if (s.contains(f) && s[f].is_string() &&
          IsJsonataExpression(s[f].get_ref<const std::string&>())) {
        ok &= CompileJsonata(s, f, loc,
                             std::string_view(f) == "ToleratedFailureCount"
                                 ? &st->tolerated_failure_count_expression
                                 : &st->tolerated_failure_percentage_expression);
      }
    }
  } else {
    ok &= CompileTemplate(s, "ResultSelector", loc, &st->result_selector);
  }
  if (jsonata_) {
    // handled above
  } else if (s.contains("ItemSelector") && s.contains("Parameters")) {
    Error("These fields cannot be specified together: [ItemSelector, Parameters]", loc);
    ok = false;
  } else {
    ok &= CompileTemplate(s, s.contains("ItemSelector") ? "ItemSelector" : "Parameters", loc,
                          &st->item_selector);
  }
  ok &= SelectPath::Compile(s.contains("ItemsPath") ? &s["ItemsPath"] : nullptr, "ItemsPath",
                            loc + "/ItemsPath", diags_, &st->items_path);
  const bool has_processor = s.contains("ItemProcessor");
  const bool has_iterator = s.contains("Iterator");
  if (has_processor == has_iterator) {
    Error(has_processor ? "These fields cannot be specified together: [ItemProcessor, Iterator]"
                        : "These fields are required: [ItemProcessor]",
          loc);
    return nullptr;
  }
  const char* pf = has_processor ? "ItemProcessor" : "Iterator";
  const Json& proc = s[pf];
  if (!proc.is_object()) {
    Error(std::string("The value for the field '") + pf + "' must be an OBJECT", loc + "/" + pf);
    return nullptr;
  }
  if (proc.contains("ProcessorConfig")) {
    const Json& pc = proc["ProcessorConfig"];
    if (!pc.is_object()) {
      Error("The value for the field 'ProcessorConfig' must be an OBJECT",
            loc + "/" + pf + "/ProcessorConfig");
      ok = false;
    } else {
      ok &= CheckFields(pc, {"Mode", "ExecutionType"}, loc + "/" + pf + "/ProcessorConfig");
      if (pc.contains("ExecutionType")) {
        if (pc["ExecutionType"] == "EXPRESS") {
          st->child_execution_type = StateMachineType::kExpress;
        } else if (pc["ExecutionType"] != "STANDARD") {
          Error("The field 'ExecutionType' should have one of these values: [STANDARD, EXPRESS]",
                loc + "/" + pf + "/ProcessorConfig/ExecutionType");
          ok = false;
        }
      }
      if (pc.contains("Mode")) {
        if (pc["Mode"] == "DISTRIBUTED") {
          st->distributed = true;
        } else if (pc["Mode"] != "INLINE") {
          Error("The field 'Mode' should have one of these values: [INLINE, DISTRIBUTED]",
                loc + "/" + pf + "/ProcessorConfig/Mode");
          ok = false;
        }
      }
    }
  }
  auto graph = std::make_unique<StateGraph>();
  graph->id = static_cast<int>(machine_->graphs.size());
  machine_->graphs.push_back(graph.get());
  ok &= CompileGraph(proc, loc + "/" + pf, graph.get(), true);
  st->processor = std::move(graph);
  ok &= CompileIntOrPath(s, "MaxConcurrency", loc, 0, &st->max_concurrency);
  if (s.contains("ToleratedFailurePercentage") && s.contains("ToleratedFailurePercentagePath")) {
    Error(
        "These fields cannot be specified together: [ToleratedFailurePercentage, "
        "ToleratedFailurePercentagePath]",
        loc);
    ok = false;
  }
  if (s.contains("ToleratedFailurePercentage") && !st->tolerated_failure_percentage_expression) {
    const Json& v = s["ToleratedFailurePercentage"];
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 100) {
      Error(
          "The value for the field 'ToleratedFailurePercentage' must be a number between 0 and 100",
          loc + "/ToleratedFailurePercentage");
      ok = false;
    } else {
      st->tolerated_failure_percentage = v.get<double>();
    }
  }
  ok &= CompileOptionalPath(s, "ToleratedFailurePercentagePath", loc,
                            &st->tolerated_failure_percentage_path,
                            &st->tolerated_failure_percentage_path_text);
  IntOrPath count;
  if (!st->tolerated_failure_count_expression) {
    ok &= CompileIntOrPath(s, "ToleratedFailureCount", loc, 0, &count);
  }
  st->tolerated_failure_count = count.value;
  st->tolerated_failure_count_path = std::move(count.path);
  st->tolerated_failure_count_path_text = count.path_text;
  if (s.contains("Label")) {
    const Json& v = s["Label"];
    if (!v.is_string()) {
      Error("The value for the field 'Label' must be a STRING", loc + "/Label");
      ok = false;
    } else {
      const std::string label = v.get<std::string>();
      if (label.empty()) {
        Error("Label cannot be empty", loc + "/Label");
        ok = false;
      } else if (label.size() > 40) {
        Error("Label cannot exceed 40 characters", loc + "/Label");
        ok = false;
      } else {
        static constexpr std::string_view kInvalid = " \"#%&*,/:;<=>?@[\\]^`{|}~";
        for (size_t i = 0; i < label.size(); ++i) {
          const unsigned char c = static_cast<unsigned char>(label[i]);
          bool bad = kInvalid.find(static_cast<char>(c)) != std::string_view::npos || c < 0x20 ||
                     c == 0x7f || std::isspace(c);
          // C1 controls U+0080..U+009F arrive as UTF-8 C2 80..C2 9F.
          if (c == 0xC2 && i + 1 < label.size()) {
            const unsigned char n = static_cast<unsigned char>(label[i + 1]);
            if (n >= 0x80 && n <= 0x9F) bad = true;
          }
          if (bad) {
            Error("Label contains invalid character", loc + "/Label");
            ok = false;
            break;
          }
        }
        st->label = label;
      }
    }
  }
  if (s.contains("ItemBatcher")) {
    const Json& b = s["ItemBatcher"];
    const std::string bloc = loc + "/ItemBatcher";
    if (!b.is_object()) {
      Error("The value for the field 'ItemBatcher' must be an OBJECT", bloc);
      ok = false;
    } else {
      MapState::Batcher batcher;
      ok &= CheckFields(b,
                        {"MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch",
                         "MaxInputBytesPerBatchPath", "BatchInput"},
                        bloc);
      ok &= CompileIntOrPath(b, "MaxItemsPerBatch", bloc, 1, &batcher.max_items);
      ok &= CompileIntOrPath(b, "MaxInputBytesPerBatch", bloc, 1, &batcher.max_bytes);
      if (b.contains("BatchInput") && !b["BatchInput"].is_object()) {
        Error("The value for the field 'BatchInput' must be an OBJECT", bloc + "/BatchInput");
        ok = false;
      } else {
        ok &= CompileTemplate(b, "BatchInput", bloc, &batcher.batch_input);
      }
      st->item_batcher = std::move(batcher);
    }
  }
  st->has_item_reader = s.contains("ItemReader");
  st->has_result_writer = s.contains("ResultWriter");
  return ok ? std::move(st) : nullptr;
}

}  // namespace

std::string_view StateTypeName(StateType type) {
  switch (type) {
    case StateType::kPass:
      return "Pass";
    case StateType::kTask:
      return "Task";
    case StateType::kChoice:
      return "Choice";
    case StateType::kWait:
      return "Wait";
    case StateType::kSucceed:
      return "Succeed";
    case StateType::kFail:
      return "Fail";
    case StateType::kParallel:
      return "Parallel";
    case StateType::kMap:
      return "Map";
  }
  return "";
}

int StateGraph::Find(std::string_view name) const {
  auto it = index_by_name.find(std::string(name));
  return it == index_by_name.end() ? -1 : it->second;
}

namespace {
bool ErrorMatches(const std::vector<std::string>& names, std::string_view error,
                  bool heartbeat_timeout) {
  for (const std::string& n : names) {
    if (n == error) return true;
    if (heartbeat_timeout && n == "States.HeartbeatTimeout") return true;
    if (n == "States.ALL" && error != "States.Runtime" && error != "States.DataLimitExceeded") {
      return true;
    }
    if (n == "States.TaskFailed" && error != "States.Timeout" && error != "States.Runtime" &&
        error != "States.HeartbeatTimeout" && error != "States.DataLimitExceeded") {
      // States.TaskFailed is a wildcard for any error but a timeout.
      return true;
    }
  }
  return false;
}
}  // namespace

bool Retrier::Matches(std::string_view error, bool heartbeat_timeout) const {
  return ErrorMatches(error_equals, error, heartbeat_timeout);
}
bool Catcher::Matches(std::string_view error, bool heartbeat_timeout) const {
  return ErrorMatches(error_equals, error, heartbeat_timeout);
}

double Retrier::DelaySeconds(int attempt) const {
  double d = interval_seconds * std::pow(backoff_rate, attempt);
  if (max_delay_seconds) d = std::min(d, *max_delay_seconds);
  return d;
}

CompileResult Compile(std::string_view definition, const CompileOptions& options) {
  CompileResult result;
  Compiler c(options, &result.diagnostics);
  std::shared_ptr<StateMachine> m;
  try {
    m = c.Run(definition);
  } catch (const std::exception& e) {
    result.diagnostics.push_back(Diagnostic{
        "SCHEMA_VALIDATION_FAILED", std::string("Definition could not be read: ") + e.what(),
        Severity::kError, "/"});
    m = nullptr;
  }
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return a.severity == Severity::kError && b.severity != Severity::kError;
                   });
  result.machine = std::move(m);
  return result;
}

std::string InvalidDefinitionMessage(const Diagnostics& diagnostics) {
  std::string m = "Invalid State Machine Definition: '";
  bool first = true;
  for (const Diagnostic& d : diagnostics) {
    if (d.severity != Severity::kError) continue;
    if (!first) m += ", ";
    first = false;
    m += d.code + ": " + d.message;
    if (!d.location.empty()) m += " at " + d.location;
  }
  return m + "'";
}

bool ParseStateMachineType(std::string_view text, StateMachineType* out) {
  std::string t;
  for (char c : text) t += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (t == "STANDARD") {
    *out = StateMachineType::kStandard;
    return true;
  }
  if (t == "EXPRESS") {
    *out = StateMachineType::kExpress;
    return true;
  }
  return false;
}

}  // namespace stepd::asl
