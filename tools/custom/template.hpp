#pragma once
// Placeholders in tool file templates.
//   {name}   the argument `name`: strings as written, other JSON values as compact JSON
//   ${NAME}  a secret from the runtime's environment (headers only)
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/tool.hpp"

namespace ossa::tools::custom {

struct Expanded {
  std::string text;
  std::vector<std::string> missing;  // placeholders naming absent arguments/secrets
};

// Replaces {name} with the argument, passed through `encode` (identity, or URL encoding).
// `extra` provides values for names that are not arguments ({tool_dir}, {workspace}).
Expanded expand_arguments(std::string_view tmpl, const Json& args,
                          const std::function<std::string(std::string_view)>& encode,
                          const std::vector<std::pair<std::string, std::string>>& extra = {});

// Expands an http tool's URL template: arguments are percent-encoded (`/`, `?`, `%` included),
// and a path segment that would read `.` or `..` because of an argument gets its dots encoded
// as %2E, so `{id}` = `..` in `/api/users/{id}/profile` stays a segment and never climbs.
Expanded expand_url(std::string_view tmpl, const Json& args);

// Replaces ${NAME} using `secret`.
Expanded expand_secrets(std::string_view tmpl,
                        const std::function<std::optional<std::string>(std::string_view)>& secret);

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string url_encode(std::string_view s);

// The names of the {name} placeholders in `tmpl`, in order.
std::vector<std::string> placeholders(std::string_view tmpl);

}  // namespace ossa::tools::custom
