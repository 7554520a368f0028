#include "stepd/runtime/alias_routing.h"

#include <string>

#include "stepd/base/crypto.h"

namespace stepd::runtime {

int64_t AliasVersionAt(const store::StateMachineAliasRecord& alias, int point) {
  int64_t version = 0;
  for (const store::AliasRoute& route : alias.routing) {
    version = route.version;
    if (point < route.weight) break;
    point -= route.weight;
  }
  return version;
}

int64_t PickAliasVersion(const store::StateMachineAliasRecord& alias) {
  const std::string bytes = RandomBytes(4);
  uint32_t draw = 0;
  for (unsigned char b : bytes) draw = draw << 8 | b;
  return AliasVersionAt(alias, static_cast<int>(draw % 100));
}

}  // namespace stepd::runtime
