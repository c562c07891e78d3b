#pragma once
// Errors in OpenAI's shape, {"error": {"message", "type", "param", "code"}}, with the HTTP
// status that goes with them. The request mappers throw ApiError for anything a client sent
// wrong; the HTTP layer turns it (and only it) into a response with that status.
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace ossa::server {

using Json = nlohmann::ordered_json;

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string message, std::string type = "invalid_request_error",
           std::optional<std::string> param = std::nullopt,
           std::optional<std::string> code = std::nullopt)
      : std::runtime_error(message),
        status_(status),
        type_(std::move(type)),
        param_(std::move(param)),
        code_(std::move(code)) {}

  int status() const { return status_; }
  const std::string& type() const { return type_; }
  const std::optional<std::string>& param() const { return param_; }
  const std::optional<std::string>& code() const { return code_; }

 private:
  int status_;
  std::string type_;
  std::optional<std::string> param_;
  std::optional<std::string> code_;
};

// 400 invalid_request_error naming the offending field.
ApiError bad_field(const std::string& param, const std::string& message);

// {"error": {...}} for an ApiError.
Json error_body(const ApiError& e);

}  // namespace ossa::server
