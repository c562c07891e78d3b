#pragma once
// The secrets HTTP tools may put in headers as `${NAME}`: only those the configuration
// declares, each read from its source (an environment variable) and bound to the hosts it may
// be sent to. Nothing else of the runtime's environment is reachable from a tool file or from
// the model (`${AWS_SECRET_ACCESS_KEY}`, `${HOME}` are errors unless declared), and a declared
// secret never goes to a host outside its binding: the check is made on the request's URL,
// and the HTTP client drops secret-carrying headers on a redirect that leaves the origin.
//
//   [secrets.WEATHER_TOKEN]
//   env = "WEATHER_TOKEN"                   # default: the secret's name
//   hosts = ["https://api.weather.example"] # network-rule syntax: [scheme://]host[:port], *.x
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ossa::net {
class NetworkPolicy;
}

namespace ossa::tools {

struct SecretSpec {
  std::string name;                // what `${NAME}` says
  std::string env;                 // the environment variable holding the value
  std::vector<std::string> hosts;  // where it may be sent (network rules, at least one)
};

class Secrets {
 public:
  using Source = std::function<std::optional<std::string>(std::string_view env)>;

  // None declared: every `${NAME}` is an error.
  Secrets();
  // Throws std::invalid_argument naming the secret: a bad or repeated name, no hosts, a
  // malformed host rule. `source` reads a variable (default: the process environment).
  explicit Secrets(std::vector<SecretSpec> specs, Source source = {});
  ~Secrets();
  Secrets(Secrets&&) noexcept;
  Secrets& operator=(Secrets&&) noexcept;

  bool declared(std::string_view name) const;
  const std::vector<SecretSpec>& specs() const;

  // Whether `name` is declared and may be sent to scheme://host:port (*error says why not).
  bool bound(std::string_view name, std::string_view scheme, std::string_view host,
             std::uint16_t port, std::string* error) const;

  // The value of `name` for a request to scheme://host:port (host lowercase, IPv6 without
  // brackets). nullopt with *error (naming the secret, never its value) when it is not
  // declared, not bound to that host, or its source is unset.
  std::optional<std::string> value_for(std::string_view name, std::string_view scheme,
                                       std::string_view host, std::uint16_t port,
                                       std::string* error) const;

 private:
  std::vector<SecretSpec> specs_;
  std::vector<std::shared_ptr<const net::NetworkPolicy>> bindings_;  // per spec
  Source source_;
};

// The names of the `${NAME}` placeholders in `text`, in order.
std::vector<std::string> secret_placeholders(std::string_view text);

}  // namespace ossa::tools
