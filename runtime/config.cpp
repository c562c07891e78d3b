#include "runtime/config.hpp"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "engine/weights_q8.hpp"

namespace ossa::runtime {
namespace {

std::string where(const toml::node& n, const std::string& origin) {
  std::ostringstream s;
  s << origin;
  if (n.source().begin.line > 0) s << ":" << n.source().begin.line;
  return s.str();
}

[[noreturn]] void fail(const toml::node& n, const std::string& origin, const std::string& key,
                       const std::string& what) {
  throw ConfigError(where(n, origin) + ": `" + key + "`: " + what);
}

std::string expand_home(const std::string& p);

// Reads one table, checking every key against the known ones, so typos are errors.
class TableReader {
 public:
  TableReader(const toml::table& t, std::string prefix, const std::string& origin)
      : t_(t), prefix_(std::move(prefix)), origin_(origin) {}

  ~TableReader() = default;

  void check_unknown() const {
    for (const auto& [k, v] : t_) {
      std::string key(k.str());
      if (known_.count(key)) continue;
      std::string what = "unknown key";
      if (std::string near = nearest(key); !near.empty()) what += " (did you mean `" + prefix_ + near + "`?)";
      fail(v, origin_, prefix_ + key, what + "; every key is described in examples/agent/config.toml");
    }
  }

  void str(const char* key, std::string& out) {
    if (auto* n = get(key)) {
      auto v = n->value<std::string>();
      if (!n->is_string() || !v) fail(*n, origin_, prefix_ + key, "expected a string");
      out = *v;
    }
  }
  void integer(const char* key, int& out, long long lo, long long hi) {
    if (auto* n = get(key)) {
      if (!n->is_integer()) fail(*n, origin_, prefix_ + key, "expected an integer");
      long long v = *n->value<long long>();
      if (v < lo || v > hi)
        fail(*n, origin_, prefix_ + key,
             "out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      out = static_cast<int>(v);
    }
  }
  void u64(const char* key, unsigned long long& out) {
    if (auto* n = get(key)) {
      if (!n->is_integer() || *n->value<long long>() < 0)
        fail(*n, origin_, prefix_ + key, "expected a non-negative integer");
      out = static_cast<unsigned long long>(*n->value<long long>());
    }
  }
  void boolean(const char* key, bool& out) {
    if (auto* n = get(key)) {
      if (!n->is_boolean()) fail(*n, origin_, prefix_ + key, "expected true or false");
      out = *n->value<bool>();
    }
  }
  void number(const char* key, double& out, double lo) {
    if (auto* n = get(key)) {
      if (!n->is_number()) fail(*n, origin_, prefix_ + key, "expected a number");
      double v = *n->value<double>();
      if (!(v >= lo)) fail(*n, origin_, prefix_ + key, "must be >= " + std::to_string(lo));
      out = v;
    }
  }
  void strings(const char* key, std::vector<std::string>& out) {
    if (auto* n = get(key)) {
      const toml::array* a = n->as_array();
      if (!a) fail(*n, origin_, prefix_ + key, "expected an array of strings");
      std::vector<std::string> v;
      for (const auto& e : *a) {
        if (!e.is_string()) fail(e, origin_, prefix_ + key, "expected an array of strings");
        v.push_back(*e.value<std::string>());
      }
      out = std::move(v);
    }
  }
  const toml::table* table(const char* key) {
    if (auto* n = get(key)) {
      if (!n->is_table()) fail(*n, origin_, prefix_ + key, "expected a table");
      return n->as_table();
    }
    return nullptr;
  }
  const toml::node* node(const char* key) { return get(key); }
  // A table of string values (env = { KEY = "value" }), in file order.
  void string_map(const char* key, std::vector<std::pair<std::string, std::string>>& out) {
    if (const toml::table* t = table(key)) {
      out.clear();
      for (const auto& [k, v] : *t) {
        if (!v.is_string()) fail(v, origin_, prefix_ + key + "." + std::string(k.str()), "expected a string");
        out.emplace_back(std::string(k.str()), *v.value<std::string>());
      }
    }
  }
  void millis(const char* key, std::chrono::milliseconds& out) {
    double s = std::chrono::duration<double>(out).count();
    number(key, s, 0.001);
    out = std::chrono::milliseconds(static_cast<long long>(s * 1000));
  }

 private:
  // The known key closest to a misspelt one: at most 2 edits, or 1 for a short key.
  std::string nearest(const std::string& key) const {
    std::string best;
    std::size_t best_d = key.size() <= 4 ? 2 : 3;
    for (const std::string& k : known_) {
      std::size_t d = edit_distance(key, k);
      if (d < best_d) best_d = d, best = k;
    }
    return best;
  }
  static std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      std::size_t diag = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        std::size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diag = up;
      }
    }
    return row[b.size()];
  }
  const toml::node* get(const char* key) {
    known_.insert(key);
    return t_.get(key);
  }
  const toml::table& t_;
  std::string prefix_;
  const std::string& origin_;
  std::set<std::string> known_;
};

void check_choice(const std::string& what, const std::string& v,
                  std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return;
    list += list.empty() ? a : std::string(", ") + a;
  }
  throw ConfigError(what + ": expected one of " + list + "; got \"" + v + "\"");
}

// Beyond a week a turn or a tool call is not limited in any way a user means, and far beyond
// it the seconds overflow the clock's nanoseconds (1e10 s wraps negative: every turn stopped at
// once). inf and NaN are refused by the same test.
constexpr double kMaxLimitSeconds = 7 * 24 * 3600.0;
constexpr int kMaxThreads = 4096;
constexpr int kMaxToolRounds = 1 << 20;
constexpr int kMaxTokens = 1 << 30;
// Past this the distribution is flat noise; a typo (100 for 1.00) is caught.
constexpr double kMaxTemperature = 100;

void check_seconds(const char* what, double v) {
  if (!(v > 0) || !(v <= kMaxLimitSeconds)) {
    std::ostringstream s;
    s << what << ": must be more than 0 and at most " << kMaxLimitSeconds << " seconds (7 days); got " << v;
    throw ConfigError(s.str());
  }
}

// YYYY-MM-DD, a day that exists: the date is written into the model's system message.
void check_date(const std::string& d) {
  if (d.empty()) return;
  auto digits = [&](std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; ++i)
      if (d[i] < '0' || d[i] > '9') return false;
    return true;
  };
  bool ok = d.size() == 10 && d[4] == '-' && d[7] == '-' && digits(0, 4) && digits(5, 2) &&
            digits(8, 2);
  if (ok) {
    int y = std::stoi(d.substr(0, 4)), m = std::stoi(d.substr(5, 2)), day = std::stoi(d.substr(8, 2));
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    const int days[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    ok = m >= 1 && m <= 12 && day >= 1 && day <= days[m - 1];
  }
  if (!ok) throw ConfigError("date: expected a day as YYYY-MM-DD (e.g. 2026-01-31); got \"" + d + "\"");
}

// The browser's search backend: searxng:<http(s) URL> or local:<folder>; empty = none.
void check_search_backend(const std::string& b) {
  if (b.empty()) return;
  const char* fix = " (use searxng:<http(s) URL> or local:<folder>; set in `[search] backend` or --search)";
  if (b.rfind("searxng:", 0) == 0) {
    std::string url = b.substr(8);
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
      throw ConfigError("search.backend: \"" + b + "\" has no http(s) URL after searxng:" + fix);
    return;
  }
  if (b.rfind("local:", 0) == 0 && b.size() > 6) return;
  throw ConfigError("search.backend: unknown backend \"" + b + "\"" + fix);
}

void validate(const Config& c) {
  check_choice("reasoning", c.reasoning, {"low", "medium", "high"});
  check_date(c.date);
  check_search_backend(c.search_backend);
  check_choice("sandbox.policy", c.sandbox_policy, {"default", "degraded"});
  try {
    tools::Secrets check(c.secrets);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
  // The same ranges as the file's (parse_config) for values that come from flags.
  auto range = [](const char* what, long long v, long long lo, long long hi) {
    if (v < lo || v > hi)
      throw ConfigError(std::string(what) + ": out of range [" + std::to_string(lo) + ", " +
                        std::to_string(hi) + "]; got " + std::to_string(v));
  };
  range("threads", c.threads, 0, kMaxThreads);
  try {
    engine::parse_weights_q8(c.weights_q8);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("weights_q8: ") + e.what());
  }
  if (!(c.temperature >= 0) || !(c.temperature <= kMaxTemperature))
    throw ConfigError("temperature: must be a number from 0 to " + std::to_string(static_cast<int>(kMaxTemperature)));
  range("limits.max_tool_rounds", c.limits.max_tool_rounds, 0, kMaxToolRounds);
  range("limits.max_tokens", c.limits.max_tokens, 1, kMaxTokens);
  range("limits.repeat_limit", c.limits.repeat_limit, 1, 1000);
  range("sandbox.memory_mib", c.sandbox_memory_mib, 16, 1 << 24);
  range("sandbox.workspace_write_mib", c.sandbox_workspace_write_mib, 0, 1 << 30);
  check_seconds("limits.wall_time_s", c.limits.wall_time_s);
  check_seconds("limits.tool_timeout_s", c.limits.tool_timeout_s);
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// "~/x" -> "$HOME/x": config files are written by hand, where the shell does not expand.
std::string expand_home(const std::string& p) {
  if (p.size() >= 1 && p[0] == '~' && (p.size() == 1 || p[1] == '/')) {
    std::string home = env("HOME");
    if (!home.empty()) return home + p.substr(1);
  }
  return p;
}

}  // namespace

std::string default_config_path() {
  std::string base = env("XDG_CONFIG_HOME");
  if (base.empty()) {
    std::string home = env("HOME");
    if (home.empty()) return {};
    base = home + "/.config";
  }
  return base + "/ossa/config.toml";
}

std::string default_transcript_dir() {
  std::string base = env("XDG_DATA_HOME");
  if (base.empty()) {
    std::string home = env("HOME");
    base = home.empty() ? std::string(".") : home + "/.local/share";
  }
  return base + "/ossa/sessions";
}

ApproveMode parse_approve_mode(const std::string& s) {
  if (s == "ask") return ApproveMode::ask;
  if (s == "all") return ApproveMode::all;
  if (s == "none") return ApproveMode::none;
  throw ConfigError("approve: expected one of ask, all, none; got \"" + s + "\"");
}

const char* to_string(ApproveMode m) {
  switch (m) {
    case ApproveMode::ask: return "ask";
    case ApproveMode::all: return "all";
    case ApproveMode::none: return "none";
  }
  return "ask";
}

Config parse_config(const std::string& text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream s;
    s << origin << ":" << e.source().begin.line << ": " << e.description();
    throw ConfigError(s.str());
  }
  Config c;
  c.source = origin;
  TableReader r(root, "", origin);
  r.str("model", c.model);
  r.integer("threads", c.threads, 0, kMaxThreads);
  r.strings("weights_q8", c.weights_q8);
  r.boolean("map_weights", c.map_weights);
  r.str("reasoning", c.reasoning);
  r.str("instructions", c.instructions);
  r.str("date", c.date);
  r.str("workspace", c.workspace);
  r.number("temperature", c.temperature, 0);
  r.u64("seed", c.seed);
  if (const toml::table* t = r.table("tools")) {
    TableReader tr(*t, "tools.", origin);
    tr.strings("enabled", c.tools);
    tr.strings("dirs", c.tool_dirs);
    std::string approve = to_string(c.approve);
    tr.str("approve", approve);
    if (const toml::node* n = tr.node("approve")) {
      try {
        c.approve = parse_approve_mode(approve);
      } catch (const ConfigError& e) {
        fail(*n, origin, "tools.approve", e.what());
      }
    }
    tr.strings("need_approval", c.need_approval);
    tr.check_unknown();
  }
  if (const toml::table* t = r.table("sandbox")) {
    TableReader tr(*t, "sandbox.", origin);
    tr.str("policy", c.sandbox_policy);
    tr.integer("memory_mib", c.sandbox_memory_mib, 16, 1 << 24);
    tr.integer("workspace_write_mib", c.sandbox_workspace_write_mib, 0, 1 << 30);
    tr.boolean("protect_git", c.sandbox_protect_git);
    tr.check_unknown();
  }
  if (const toml::table* t = r.table("network")) {
    TableReader tr(*t, "network.", origin);
    tr.strings("allowlist", c.network_allowlist);
    tr.check_unknown();
  }
  if (const toml::table* t = r.table("secrets")) {
    for (const auto& [k, v] : *t) {
      tools::SecretSpec spec;
      spec.name = std::string(k.str());
      const std::string key = "secrets." + spec.name;
      if (!v.is_table()) fail(v, origin, key, "expected a table: env = \"VAR\", hosts = [...]");
      TableReader tr(*v.as_table(), key + ".", origin);
      tr.str("env", spec.env);
      tr.strings("hosts", spec.hosts);
      tr.check_unknown();
      c.secrets.push_back(std::move(spec));
    }
  }
  if (const toml::table* t = r.table("search")) {
    TableReader tr(*t, "search.", origin);
    tr.str("backend", c.search_backend);
    tr.check_unknown();
  }
  if (const toml::table* t = r.table("mcp_servers")) {
    for (const auto& [k, v] : *t) {
      mcp::ServerConfig m;
      m.name = std::string(k.str());
      const std::string prefix = "mcp_servers." + m.name;
      if (!v.is_table()) fail(v, origin, prefix, "expected a table");
      if (m.name.empty() || m.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos)
        fail(v, origin, prefix, "a server name is letters, digits, `_` and `-`");
      TableReader mr(*v.as_table(), prefix + ".", origin);
      mr.str("command", m.command);
      mr.strings("args", m.args);
      mr.string_map("env", m.env);
      mr.str("cwd", m.cwd);
      mr.str("url", m.url);
      mr.string_map("headers", m.headers);
      if (mr.node("enabled_tools")) {
        std::vector<std::string> e;
        mr.strings("enabled_tools", e);
        m.enabled_tools = e;
      }
      mr.strings("disabled_tools", m.disabled_tools);
      mr.millis("startup_timeout", m.startup_timeout);
      mr.millis("tool_timeout", m.tool_timeout);
      mr.boolean("needs_approval", m.needs_approval);
      mr.boolean("enabled", m.enabled);
      int max_mib = static_cast<int>(m.max_message_bytes >> 20);
      mr.integer("max_message_mib", max_mib, 1, 1024);
      m.max_message_bytes = static_cast<std::size_t>(max_mib) << 20;
      if (m.command.empty() == m.url.empty())
        fail(v, origin, prefix, "give either `command` (a stdio server) or `url` (Streamable HTTP)");
      if (const toml::table* sb = mr.table("sandbox")) {
        if (!m.url.empty()) fail(*mr.node("sandbox"), origin, prefix + ".sandbox", "only stdio servers run in the sandbox");
        TableReader sr(*sb, prefix + ".sandbox.", origin);
        std::string ws = "read-only";
        sr.str("workspace", ws);
        if (ws != "read-only" && ws != "read-write")
          fail(*sr.node("workspace"), origin, prefix + ".sandbox.workspace", "expected \"read-only\" or \"read-write\"");
        m.sandbox.workspace_writable = ws == "read-write";
        sr.strings("read_only", m.sandbox.read_only);
        for (auto& ro : m.sandbox.read_only) ro = expand_home(ro);
        sr.strings("network", m.sandbox.network);
        if (!m.sandbox.network.empty())
          fail(*sr.node("network"), origin, prefix + ".sandbox.network",
               "the sandbox has no network for stdio servers yet; use an HTTP server (`url`) for remote tools");
        int mem = static_cast<int>(m.sandbox.memory_mib);
        sr.integer("memory_mib", mem, 64, 1 << 20);
        m.sandbox.memory_mib = static_cast<std::size_t>(mem);
        sr.check_unknown();
      }
      mr.check_unknown();
      c.mcp_servers.push_back(std::move(m));
    }
  }
  if (const toml::table* t = r.table("limits")) {
    TableReader tr(*t, "limits.", origin);
    tr.integer("max_tool_rounds", c.limits.max_tool_rounds, 0, kMaxToolRounds);
    tr.integer("max_tokens", c.limits.max_tokens, 1, kMaxTokens);
    tr.number("wall_time_s", c.limits.wall_time_s, 0.001);
    tr.integer("repeat_limit", c.limits.repeat_limit, 1, 1000);
    tr.number("tool_timeout_s", c.limits.tool_timeout_s, 0.001);
    tr.check_unknown();
  }
  if (const toml::table* t = r.table("transcripts")) {
    TableReader tr(*t, "transcripts.", origin);
    tr.str("dir", c.transcript_dir);
    tr.check_unknown();
  }
  r.check_unknown();
  c.model = expand_home(c.model);
  c.workspace = expand_home(c.workspace);
  c.transcript_dir = expand_home(c.transcript_dir);
  for (auto& d : c.tool_dirs) d = expand_home(d);
  try {
    validate(c);
  } catch (const ConfigError& e) {
    throw ConfigError(origin + ": " + e.what());
  }
  return c;
}

Config load_config(const std::string& path) {
  std::string p = path;
  if (p.empty()) {
    p = default_config_path();
    std::error_code ec;
    if (p.empty() || !std::filesystem::exists(p, ec)) return Config{};
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) throw ConfigError(p + ": cannot read the configuration file");
  std::ostringstream s;
  s << in.rdbuf();
  return parse_config(s.str(), p);
}

std::string conversation_date(const Config& c) {
  if (!c.date.empty()) return c.date;
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

void apply_overrides(Config& c, const ConfigOverrides& o) {
  if (o.model) c.model = *o.model;
  if (o.reasoning) c.reasoning = *o.reasoning;
  if (o.instructions) c.instructions = *o.instructions;
  if (o.date) c.date = *o.date;
  if (o.workspace) c.workspace = *o.workspace;
  if (o.transcript_dir) c.transcript_dir = *o.transcript_dir;
  if (o.threads) c.threads = *o.threads;
  if (o.weights_q8) c.weights_q8 = *o.weights_q8;
  if (o.map_weights) c.map_weights = *o.map_weights;
  if (o.max_tool_rounds) c.limits.max_tool_rounds = *o.max_tool_rounds;
  if (o.max_tokens) c.limits.max_tokens = *o.max_tokens;
  if (o.wall_time_s) c.limits.wall_time_s = *o.wall_time_s;
  if (o.tool_timeout_s) c.limits.tool_timeout_s = *o.tool_timeout_s;
  if (o.temperature) c.temperature = *o.temperature;
  if (o.seed) c.seed = *o.seed;
  if (o.tools) c.tools = *o.tools;
  if (o.tool_dirs) c.tool_dirs = *o.tool_dirs;
  if (o.network_allowlist) c.network_allowlist = *o.network_allowlist;
  if (o.search_backend) c.search_backend = *o.search_backend;
  if (o.approve) c.approve = parse_approve_mode(*o.approve);
  validate(c);
}

namespace {
// Environment values and header values may hold secrets: only their names are shown.
nlohmann::json mcp_servers_json(const Config& c) {
  using nlohmann::json;
  json out = json::object();
  for (const mcp::ServerConfig& m : c.mcp_servers) {
    json names = json::array(), headers = json::array();
    for (const auto& kv : m.env) names.push_back(kv.first);
    for (const auto& kv : m.headers) headers.push_back(kv.first);
    json s{{"enabled", m.enabled},
           {"enabled_tools", m.enabled_tools ? json(*m.enabled_tools) : json(nullptr)},
           {"disabled_tools", m.disabled_tools},
           {"startup_timeout", std::chrono::duration<double>(m.startup_timeout).count()},
           {"tool_timeout", std::chrono::duration<double>(m.tool_timeout).count()},
           {"needs_approval", m.needs_approval}};
    if (m.is_http()) {
      s["url"] = m.url;
      s["headers"] = headers;
    } else {
      s["command"] = m.command;
      s["args"] = m.args;
      s["env"] = names;
      s["cwd"] = m.cwd.empty() ? "/workspace" : m.cwd;
      s["sandbox"] = {{"workspace", m.sandbox.workspace_writable ? "read-write" : "read-only"},
                      {"read_only", m.sandbox.read_only},
                      {"network", m.sandbox.network},
                      {"memory_mib", m.sandbox.memory_mib}};
    }
    out[m.name] = s;
  }
  return out;
}

// Names, sources and bindings; never a value.
nlohmann::json secrets_json(const std::vector<tools::SecretSpec>& specs) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& s : specs)
    out[s.name] = {{"env", s.env.empty() ? s.name : s.env}, {"hosts", s.hosts}};
  return out;
}
}  // namespace

nlohmann::json to_json(const Config& c) {
  using nlohmann::json;
  return json{
      {"source", c.source.empty() ? json(nullptr) : json(c.source)},
      {"model", c.model},
      {"threads", c.threads},
      {"weights_q8", c.weights_q8},
      {"map_weights", c.map_weights},
      {"reasoning", c.reasoning},
      {"instructions", c.instructions},
      {"date", c.date},
      {"workspace", c.workspace},
      {"temperature", c.temperature},
      {"seed", c.seed},
      {"tools",
       {{"enabled", c.tools},
        {"dirs", c.tool_dirs},
        {"approve", to_string(c.approve)},
        {"need_approval", c.need_approval}}},
      {"sandbox",
       {{"policy", c.sandbox_policy},
        {"memory_mib", c.sandbox_memory_mib},
        {"workspace_write_mib", c.sandbox_workspace_write_mib},
        {"protect_git", c.sandbox_protect_git}}},
      {"network", {{"allowlist", c.network_allowlist}}},
      {"secrets", secrets_json(c.secrets)},
      {"search", {{"backend", c.search_backend}}},
      {"mcp_servers", mcp_servers_json(c)},
      {"limits",
       {{"max_tool_rounds", c.limits.max_tool_rounds},
        {"max_tokens", c.limits.max_tokens},
        {"wall_time_s", c.limits.wall_time_s},
        {"repeat_limit", c.limits.repeat_limit},
        {"tool_timeout_s", c.limits.tool_timeout_s}}},
      {"transcripts",
       {{"dir", c.transcript_dir.empty() ? default_transcript_dir() : c.transcript_dir}}},
  };
}

}  // namespace ossa::runtime
