#include "stepd/asl/history.h"

namespace stepd::asl {

Json PayloadDetails(bool truncated) { return Json{{"truncated", truncated}}; }

Json HistoryEvent::ToAwsJson() const {
  const double seconds =
      static_cast<double>(
          std::chrono::duration_cast<std::chrono::milliseconds>(timestamp.time_since_epoch())
              .count()) /
      1000.0;
  Json j = {{"timestamp", seconds}, {"type", type}, {"id", id}, {"previousEventId", previous_event_id}};
  if (!details_key.empty()) {
    // Payloads are kept as JSON values and become JSON text here, as AWS shows them.
    Json d = details;
    for (const char* k : {"input", "output", "parameters"}) {
      if (d.is_object() && d.contains(k)) d[k] = d[k].dump();
    }
    j[details_key] = std::move(d);
  }
  return j;
}

}  // namespace stepd::asl
