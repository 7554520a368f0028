#pragma once
// Private to src/asl/jsonata_*.cc: the error a JSONata expression raises while
// it is parsed or evaluated. Inside the parser, the evaluator and the built-in
// functions an error is thrown (deep recursion unwinds in one step); the public
// API (stepd/asl/jsonata.h) catches it and hands it on as a value.

#include <exception>
#include <string>
#include <utility>

namespace stepd::asl::jsonata {

// `code` is the reference implementation's (jsonata-js 2.x): S0xxx syntax,
// T0xxx/T1xxx/T2xxx type, D1xxx-D3xxx dynamic, U1xxx limits (stepd's own
// codes for the depth and time limits are U1001 and U1002, as jsonata-js'
// test harness names them). `position` is a character offset into the
// expression (code points, 1 past the token, as jsonata-js reports it), -1
// when unknown. `token` names the offending token or function, empty when
// none. `message` is complete English text, never containing data values
// longer than a short excerpt.
class Error : public std::exception {
 public:
  Error(std::string code, std::string message, int position = -1, std::string token = {})
      : code_(std::move(code)),
        message_(std::move(message)),
        position_(position),
        token_(std::move(token)) {}

  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  int position() const { return position_; }
  const std::string& token() const { return token_; }

  // The evaluator fills in where the failing function was called when the
  // function itself could not know.
  void set_position(int position) { position_ = position; }
  void set_token(std::string token) { token_ = std::move(token); }

  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string code_;
  std::string message_;
  int position_;
  std::string token_;
};

}  // namespace stepd::asl::jsonata
