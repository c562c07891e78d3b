#include "tools/secrets.hpp"

#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "tools/net/network_policy.hpp"

namespace ossa::tools {
namespace {

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool valid_name(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n)
    if (!is_name_char(c)) return false;
  return true;
}

std::string list_of(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "`" : ", `") + i + "`";
  return out;
}

}  // namespace

Secrets::Secrets() = default;
Secrets::~Secrets() = default;
Secrets::Secrets(Secrets&&) noexcept = default;
Secrets& Secrets::operator=(Secrets&&) noexcept = default;

Secrets::Secrets(std::vector<SecretSpec> specs, Source source)
    : specs_(std::move(specs)), source_(std::move(source)) {
  if (!source_)
    source_ = [](std::string_view env) -> std::optional<std::string> {
      const char* v = std::getenv(std::string(env).c_str());
      return v ? std::optional<std::string>(v) : std::nullopt;
    };
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    SecretSpec& s = specs_[i];
    if (!valid_name(s.name))
      throw std::invalid_argument("secret `" + s.name + "`: a name is letters, digits and _");
    for (std::size_t j = 0; j < i; ++j)
      if (specs_[j].name == s.name) throw std::invalid_argument("secret `" + s.name + "` is declared twice");
    if (s.env.empty()) s.env = s.name;
    if (s.hosts.empty())
      throw std::invalid_argument("secret `" + s.name +
                                  "`: `hosts` must list where it may be sent (e.g. "
                                  "\"https://api.example.com\")");
    std::string error;
    auto policy = net::NetworkPolicy::parse(s.hosts, &error);
    if (!policy) throw std::invalid_argument("secret `" + s.name + "`: hosts: " + error);
    bindings_.push_back(std::make_shared<const net::NetworkPolicy>(std::move(*policy)));
  }
}

bool Secrets::declared(std::string_view name) const {
  for (const auto& s : specs_)
    if (s.name == name) return true;
  return false;
}

const std::vector<SecretSpec>& Secrets::specs() const { return specs_; }

bool Secrets::bound(std::string_view name, std::string_view scheme, std::string_view host,
                    std::uint16_t port, std::string* error) const {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const SecretSpec& s = specs_[i];
    if (s.name != name) continue;
    if (bindings_[i]->check_target(scheme, host, port)) return true;
    std::string h(host);
    if (h.find(':') != std::string::npos) h = "[" + h + "]";
    *error = "the secret `" + s.name + "` may not be sent to " + std::string(scheme) + "://" + h +
             ":" + std::to_string(port) + " (it is bound to " + list_of(s.hosts) + ")";
    return false;
  }
  *error = "the secret `" + std::string(name) +
           "` is not declared (the configuration's [secrets] lists what HTTP tools may use)";
  return false;
}

std::optional<std::string> Secrets::value_for(std::string_view name, std::string_view scheme,
                                              std::string_view host, std::uint16_t port,
                                              std::string* error) const {
  if (!bound(name, scheme, host, port, error)) return std::nullopt;
  for (const SecretSpec& s : specs_) {
    if (s.name != name) continue;
    auto v = source_(s.env);
    if (!v) *error = "the secret `" + s.name + "` has no value: $" + s.env + " is not set";
    return v;
  }
  return std::nullopt;
}

std::vector<std::string> secret_placeholders(std::string_view text) {
  std::vector<std::string> names;
  for (std::size_t i = 0; (i = text.find("${", i)) != std::string_view::npos;) {
    std::size_t j = i + 2;
    while (j < text.size() && is_name_char(text[j])) ++j;
    if (j > i + 2 && j < text.size() && text[j] == '}') names.emplace_back(text.substr(i + 2, j - i - 2));
    i = j;
  }
  return names;
}

}  // namespace ossa::tools
