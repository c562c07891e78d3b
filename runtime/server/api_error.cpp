#include "runtime/server/api_error.hpp"

namespace ossa::server {

ApiError bad_field(const std::string& param, const std::string& message) {
  return ApiError(400, message, "invalid_request_error", param);
}

Json error_body(const ApiError& e) {
  Json err = Json::object();
  err["message"] = e.what();
  err["type"] = e.type();
  err["param"] = e.param() ? Json(*e.param()) : Json(nullptr);
  err["code"] = e.code() ? Json(*e.code()) : Json(nullptr);
  return Json{{"error", std::move(err)}};
}

}  // namespace ossa::server
