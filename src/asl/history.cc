#include "stepd/asl/history.h"

namespace stepd::asl {

Json PayloadDetails(bool truncated) {
  return JsonObjectBuilder(1).Add("truncated", truncated).Take();
}

Json HistoryEvent::ToAwsJson() const {
  const double seconds =
      static_cast<double>(
          std::chrono::duration_cast<std::chrono::milliseconds>(timestamp.time_since_epoch())
              .count()) /
      1000.0;
  JsonObjectBuilder j(5);
  j.Add("timestamp", seconds).Add("type", type).Add("id", id).Add("previousEventId", previous_event_id);
  if (!details_key.empty()) {
    if (const auto* obj = details.get_ptr<const Json::object_t*>()) {
      // Payloads are kept as JSON values and become JSON text here, as AWS shows them.
      JsonObjectBuilder d(obj->size());
      for (const auto& [k, v] : *obj) {
        const bool payload = k == "input" || k == "output" || k == "parameters";
        d.Add(k, payload ? Json(v.dump()) : v);
      }
      j.Add(details_key, d.Take());
    } else {
      j.Add(details_key, details);
    }
  }
  return j.Take();
}

}  // namespace stepd::asl
