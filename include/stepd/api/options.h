#pragma once
// Options of the api layer: the AWS JSON API's identity (region, account),
// the threads its blocking work runs on, and authentication.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stepd::api {

// What a principal may do. Each role includes the ones before it.
enum class Role {
  kViewer,    // read: Describe*, List*, GetExecutionHistory, Validate*
  kOperator,  // + start and stop executions, work on activity tasks
  kAdmin,     // + create, update and delete state machines and activities, tags
};
// "viewer", "operator", "admin".
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

// A SigV4 access key (the AWS SDKs' aws_access_key_id/aws_secret_access_key)
// and who signs with it.
struct AccessKey {
  std::string access_key_id;      // 16..128 characters
  std::string secret_access_key;  // a secret: never logged
  // The principal's name in audit rows; empty: "sigv4:<access_key_id>".
  std::string principal;
  // Unset: AuthOptions::default_role.
  std::optional<Role> role;
};

struct AuthOptions {
  // SigV4 keys accepted on the AWS API. Empty, with no other authentication
  // configured: local mode (loopback only, every caller is admin, any
  // signature or none is accepted).
  std::vector<AccessKey> access_keys;
  // The role of an authenticated principal with no role of its own.
  // Default viewer (CONTRACTS.md).
  Role default_role = Role::kViewer;
  // How far a signature's X-Amz-Date may be from now. Default 5 minutes, as AWS.
  std::chrono::seconds sigv4_max_skew{300};

  // Some authentication is configured: every request must carry a credential.
  bool configured() const { return !access_keys.empty(); }
};

struct ApiOptions {
  // Region and account of the ARNs stepd makes
  // (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME). Defaults as AWS's
  // local emulators: us-east-1, 123456789012.
  std::string region = "us-east-1";
  std::string account_id = "123456789012";
  // Threads for API work that reads or writes the database; a request that
  // finds `queue_capacity` others waiting is answered ThrottlingException.
  // 0 (the default): one per hardware thread, at least 2.
  int threads = 0;
  size_t queue_capacity = 10000;
};

}  // namespace stepd::api
