#pragma once
// Which version a start through an alias runs: the alias's routes are
// weighted (percent, summing to 100), and each start draws one, as AWS's
// StartExecution through an alias does. Shared by the AWS API and the
// scheduler so that both route alike.

#include <cstdint>

#include "stepd/store/records.h"

namespace stepd::runtime {

// The version of `alias`'s routes that `point` (0..99) falls in.
int64_t AliasVersionAt(const store::StateMachineAliasRecord& alias, int point);

// AliasVersionAt with a random point.
int64_t PickAliasVersion(const store::StateMachineAliasRecord& alias);

}  // namespace stepd::runtime
