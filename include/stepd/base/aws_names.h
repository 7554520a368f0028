#pragma once
// AWS's rule for the names of state machines, executions and activities,
// which become the last part of their ARNs: the API checks the names it is
// given, and the runtime the names a Task state gives a nested execution.

#include <string_view>

namespace stepd {

// True for 1..80 characters (UTF-8), none of white space, < > { } [ ] ? *
// " # % \ ^ | ~ ` $ & , ; : / or a control character.
bool IsValidAwsName(std::string_view name);

}  // namespace stepd
