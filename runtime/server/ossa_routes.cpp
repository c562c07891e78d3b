#include "runtime/server/ossa_routes.hpp"

#include "runtime/server/sessions.hpp"

namespace ossa::server {

namespace {

ApiError not_found(const std::string& what, const char* code) {
  return ApiError(404, what, "invalid_request_error", std::nullopt, code);
}

void need(const std::string& method, std::initializer_list<const char*> allowed) {
  for (const char* m : allowed)
    if (method == m) return;
  std::string list;
  for (const char* m : allowed) list += std::string(list.empty() ? "" : " or ") + m;
  throw ApiError(405, "use " + list);
}

}  // namespace

bool is_ossa_route(const std::string& path) { return path.rfind("/ossa/", 0) == 0; }

Json handle_ossa_route(const std::string& method, const std::string& path, ResponseStore& store,
                       const MappingContext& ctx) {
  if (path == "/ossa/info") {
    need(method, {"GET"});
    return server_info(ctx);
  }
  if (path == "/ossa/sessions") {
    need(method, {"GET"});
    return list_sessions(store.records());
  }
  const std::string prefix = "/ossa/sessions/";
  if (path.rfind(prefix, 0) == 0) {
    const std::string id = path.substr(prefix.size());
    need(method, {"GET", "DELETE"});
    if (!ResponseStore::valid_id(id)) throw not_found("Session '" + id + "' not found.", "session_not_found");
    std::vector<Json> records = store.records();
    if (method == "GET") {
      auto view = session_view(records, id);
      if (!view) throw not_found("Session '" + id + "' not found.", "session_not_found");
      return *view;
    }
    std::vector<std::string> ids = session_deletable(records, id);
    if (ids.empty()) throw not_found("Session '" + id + "' not found.", "session_not_found");
    Json deleted = Json::array();
    for (const std::string& d : ids)
      if (store.remove(d)) deleted.push_back(d);
    return Json{{"id", id}, {"object", "ossa.session.deleted"}, {"deleted", true},
                {"responses", std::move(deleted)}};
  }
  throw not_found("no route " + method + " " + path, "not_found");
}

}  // namespace ossa::server
