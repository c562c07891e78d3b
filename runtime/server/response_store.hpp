#pragma once
// Stored Responses (store: true): one JSON file per response under <data dir>/responses/,
// holding the response object and the conversation after it (user/assistant/tool messages in
// harmony's JSON), so GET /v1/responses/{id} and previous_response_id work across restarts.
// Files are written to a temporary name and renamed, so a crash leaves no torn record.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/harmony/conversation.hpp"
#include "runtime/server/api_error.hpp"

namespace ossa::server {

class ResponseStore {
 public:
  // Creates the folder. Throws std::runtime_error when it cannot.
  explicit ResponseStore(std::filesystem::path dir);

  void put(const std::string& id, const Json& response,
           const std::vector<harmony::Message>& conversation);
  std::optional<Json> response(const std::string& id) const;
  std::optional<std::vector<harmony::Message>> conversation(const std::string& id) const;
  // Every readable record as {"id", "response", "conversation"} (unreadable files are skipped:
  // one torn or foreign file must not hide the others), in no particular order.
  std::vector<Json> records() const;
  // Deletes a stored response; false when there was none.
  bool remove(const std::string& id);

  // Ids are ours ("resp_" + letters and digits); anything else is never a file name.
  static bool valid_id(const std::string& id);

 private:
  std::optional<Json> read(const std::string& id) const;
  std::filesystem::path dir_;
};

}  // namespace ossa::server
