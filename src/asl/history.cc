#include "stepd/asl/history.h"

namespace stepd::asl {
void EventDetails::Key(std::string_view key) {
  if (text_.size() > 1) text_.push_back(',');
  text_.push_back('"');
  text_.append(key);
  text_.append("\":");
}

EventDetails& EventDetails::String(std::string_view key, std::string_view value) {
  Key(key);
  text_.push_back('"');
  AppendJsonStringBody(value, &text_);
  text_.push_back('"');
  return *this;
}

EventDetails& EventDetails::Int(std::string_view key, int64_t value) {
  Key(key);
  text_.append(std::to_string(value));
  return *this;
}

EventDetails& EventDetails::Bool(std::string_view key, bool value) {
  Key(key);
  text_.append(value ? "true" : "false");
  return *this;
}

EventDetails& EventDetails::Value(std::string_view key, const Json& value) {
  Key(key);
  AppendJsonText(value, &text_);
  return *this;
}

EventDetails& EventDetails::Payload(std::string_view key, const Json& value,
                                    std::string_view details_key) {
  Key(key);
  text_.push_back('"');
  AppendJsonTextAsStringBody(value, &text_);
  text_.push_back('"');
  if (!details_key.empty()) {
    Key(details_key);
    text_.append("{\"truncated\":false}");
  }
  return *this;
}

Json HistoryEvent::DetailsJson() const {
  if (details.empty()) return Json();
  return Json::parse(details);
}

void HistoryEvent::AppendAwsJson(std::string* out) const {
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(timestamp.time_since_epoch()).count();
  out->append("{\"timestamp\":");
  AppendJsonText(Json(static_cast<double>(ms) / 1000.0), out);
  out->append(",\"type\":\"");
  out->append(type);
  out->append("\",\"id\":");
  out->append(std::to_string(id));
  out->append(",\"previousEventId\":");
  out->append(std::to_string(previous_event_id));
  if (!details_key.empty()) {
    out->append(",\"");
    out->append(details_key);
    out->append("\":");
    out->append(details.empty() ? std::string_view("{}") : std::string_view(details));
  }
  out->push_back('}');
}

Json HistoryEvent::ToAwsJson() const {
  std::string text;
  AppendAwsJson(&text);
  return Json::parse(text);
}

}  // namespace stepd::asl
