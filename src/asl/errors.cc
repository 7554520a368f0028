#include "stepd/asl/errors.h"

namespace stepd::asl {

std::string_view StatesErrorName(StatesError e) {
  switch (e) {
#define STEPD_ASL_NAME_(e, name) \
  case StatesError::e:           \
    return name;
    STEPD_ASL_STATES_ERRORS(STEPD_ASL_NAME_)
#undef STEPD_ASL_NAME_
  }
  return "States.Runtime";
}

bool IsPredefinedStatesError(std::string_view name) {
#define STEPD_ASL_MATCH_(e, n) \
  if (name == n) return true;
  STEPD_ASL_STATES_ERRORS(STEPD_ASL_MATCH_)
#undef STEPD_ASL_MATCH_
  return false;
}

}  // namespace stepd::asl
