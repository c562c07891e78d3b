#include "tools/browser/browser_tool.hpp"

#include <cmath>
#include <cstdlib>
#include <functional>

#include "tools/browser/local_docs_backend.hpp"
#include "tools/browser/run_blocking.hpp"
#include "tools/browser/searxng_backend.hpp"
#include "tools/registry.hpp"
#include "tools/tool.hpp"

namespace ossa::browser {
namespace {

constexpr const char* kSessionKey = "browser";

// What a session keeps: shared so a call still running on its worker thread keeps it alive.
struct Slot {
  std::shared_ptr<BrowserState> state;
};

enum class Fn { search, open, find };

long long as_int(const tools::Json& v, long long fallback) {
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_number()) {
    double d = v.get<double>();
    if (std::isfinite(d) && std::abs(d) < 1e15) return static_cast<long long>(std::floor(d));
  }
  if (v.is_string()) {  // "3": models sometimes quote numbers
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end && *end == '\0') return n;
  }
  return fallback;
}

BrowserReply run_call(Fn fn, BrowserState& state, const tools::Json& args) {
  switch (fn) {
    case Fn::search: {
      auto q = args.value("query", tools::Json());
      if (!q.is_string()) return {"`query` must be a string", true};
      return state.search(q.get<std::string>());
    }
    case Fn::open: {
      OpenArgs o;
      auto id = args.value("id", tools::Json(-1));
      if (id.is_string()) {
        const std::string& s = id.get_ref<const std::string&>();
        long long n = as_int(id, -2);
        if (n == -2 || s.find_first_not_of("-0123456789") != std::string::npos)
          o.id = s;
        else
          o.id = n;
      } else {
        o.id = as_int(id, -1);
      }
      o.cursor = as_int(args.value("cursor", tools::Json(-1)), -1);
      o.loc = as_int(args.value("loc", tools::Json(-1)), -1);
      o.num_lines = as_int(args.value("num_lines", tools::Json(-1)), -1);
      auto vs = args.value("view_source", tools::Json(false));
      o.view_source = vs.is_boolean() && vs.get<bool>();
      return state.open(o);
    }
    case Fn::find: {
      auto p = args.value("pattern", tools::Json());
      if (!p.is_string()) return {"`pattern` must be a string", true};
      return state.find(p.get<std::string>(), as_int(args.value("cursor", tools::Json(-1)), -1));
    }
  }
  return {"unknown browser function", true};
}

std::shared_ptr<BrowserState> state_for(tools::ToolContext& ctx,
                                        const std::shared_ptr<const BrowserConfig>& config) {
  if (!ctx.session) return std::make_shared<BrowserState>(config);  // one-off call
  auto make = [&] { return std::make_shared<Slot>(Slot{std::make_shared<BrowserState>(config)}); };
  return ctx.session->get_or_create<Slot>(kSessionKey, make).state;
}

std::function<BrowserReply()> make_work(Fn fn, std::shared_ptr<BrowserState> state,
                                        const tools::Json& arguments) {
  tools::Json args = arguments.is_object() ? arguments : tools::Json::object();
  return [fn, state = std::move(state), args = std::move(args)] { return run_call(fn, *state, args); };
}

tools::ToolResult make_result(const BrowserState& state, const BrowserReply& reply) {
  tools::Json meta = tools::Json::object();
  meta["pages"] = state.depth();
  if (state.depth() > 0 && !reply.is_error) {
    meta["url"] = state.page_at(state.depth() - 1).url;
    meta["title"] = state.page_at(state.depth() - 1).title;
  }
  return reply.is_error ? tools::ToolResult::failure(reply.text, std::move(meta))
                        : tools::ToolResult::success(reply.text, std::move(meta));
}

class BrowserTool : public tools::Tool {
 public:
  BrowserTool(Fn fn, std::shared_ptr<const BrowserConfig> config)
      : fn_(fn), config_(std::move(config)) {
    spec_.ns = "browser";
    spec_.needs_network = true;
    switch (fn) {
      case Fn::search:
        spec_.name = "search";
        spec_.description = "Searches for information related to `query` and displays `topn` results.";
        spec_.parameters = tools::Json::parse(
            R"({"type": "object", "properties": {"query": {"type": "string"}, "topn": {"type": "number", "default": 10}, "source": {"type": "string"}}, "required": ["query"]})");
        break;
      case Fn::open:
        spec_.name = "open";
        spec_.description =
            "Opens the link `id` from the page indicated by `cursor` starting at line number `loc`, showing `num_lines` lines.\n"
            "Valid link ids are displayed with the formatting: `【{id}†.*】`.\n"
            "If `cursor` is not provided, the most recent page is implied.\n"
            "If `id` is a string, it is treated as a fully qualified URL associated with `source`.\n"
            "If `loc` is not provided, the viewport will be positioned at the beginning of the document or centered on the most relevant passage, if available.\n"
            "Use this function without `id` to scroll to a new location of an opened page.";
        spec_.parameters = tools::Json::parse(
            R"({"type": "object", "properties": {"id": {"type": ["number", "string"], "default": -1}, "cursor": {"type": "number", "default": -1}, "loc": {"type": "number", "default": -1}, "num_lines": {"type": "number", "default": -1}, "view_source": {"type": "boolean", "default": false}, "source": {"type": "string"}}})");
        break;
      case Fn::find:
        spec_.name = "find";
        spec_.description =
            "Finds exact matches of `pattern` in the current page, or the page given by `cursor`.";
        spec_.parameters = tools::Json::parse(
            R"({"type": "object", "properties": {"pattern": {"type": "string"}, "cursor": {"type": "number", "default": -1}}, "required": ["pattern"]})");
        break;
    }
  }

  const tools::ToolSpec& spec() const override { return spec_; }

  boost::asio::awaitable<tools::ToolResult> invoke(const tools::ToolCall& call,
                                                   tools::ToolContext& ctx) override {
    std::shared_ptr<BrowserState> state = state_for(ctx, config_);
    // GCC 12 mishandles temporaries with destructors inside coroutine bodies (braced
    // initializer lists, temporaries in a co_await expression are destroyed twice): values are
    // built in plain functions and every awaited operation is a named local.
    auto work = make_work(fn_, state, call.arguments);
    auto op = run_blocking(std::move(work));
    BrowserReply reply = co_await std::move(op);
    co_return make_result(*state, reply);
  }

 private:
  Fn fn_;
  std::shared_ptr<const BrowserConfig> config_;
  tools::ToolSpec spec_;
};

}  // namespace

std::shared_ptr<const BrowserConfig> make_browser_config(const BrowserSettings& settings) {
  auto config = std::make_shared<BrowserConfig>();
  config->view.view_tokens = settings.view_tokens;
  config->view.count_tokens = settings.count_tokens;
  std::string spec = settings.search_backend;
  if (spec.empty()) {
    if (const char* s = std::getenv("OSSA_SEARXNG_URL"); s && *s)
      spec = std::string("searxng:") + s;
    else if (const char* d = std::getenv("OSSA_LOCAL_DOCS"); d && *d)
      spec = std::string("local:") + d;
  }
  try {
    if (spec.rfind("searxng:", 0) == 0) {
      config->backend = std::make_shared<SearxngBackend>(spec.substr(8), settings.http,
                                                         settings.client);
    } else if (spec.rfind("local:", 0) == 0) {
      config->backend = std::make_shared<LocalDocsBackend>(spec.substr(6));
    } else if (spec.empty()) {
      config->missing_backend_reason =
          "no search backend is configured (set `[search] backend` or --search to searxng:<URL> or "
          "local:<folder>)";
    } else {
      config->missing_backend_reason = "search backend `" + spec +
                                       "` is not available (set `[search] backend` or --search to searxng:<URL> or local:<folder>)";
    }
  } catch (const std::exception& e) {
    config->missing_backend_reason = e.what();
  }
  // Throws std::invalid_argument naming a malformed rule: a rule the user wrote is never dropped.
  net::NetworkPolicy policy(settings.network_allowlist);
  if (!policy.empty()) {
    config->http_policy = std::make_shared<const net::NetworkPolicy>(std::move(policy));
    if (settings.client) {
      config->http = settings.client;
    } else {
      net::HttpClientOptions o = settings.http;
      o.policy = *config->http_policy;
      config->http = std::make_shared<net::HttpClient>(std::move(o));
    }
  }
  return config;
}

std::string browser_description(const std::string& source) {
  return "Tool for browsing.\n"
         "The `cursor` appears in brackets before each browsing display: `[{cursor}]`.\n"
         "Cite information from the tool using the following format:\n"
         "`【{cursor}†L{line_start}(-L{line_end})?】`, for example: `【6†L9-L11】` or `【8†L3】`.\n"
         "Do not quote more than 10 words directly from the tool output.\n"
         "sources=" + source;
}

std::vector<std::shared_ptr<tools::Tool>> make_browser_tools(
    std::shared_ptr<const BrowserConfig> config) {
  std::vector<std::shared_ptr<tools::Tool>> out;
  // Without a backend every search fails: the model is not offered one (open and find still
  // work on the pages the allowlist lets it reach).
  if (config->backend) out.push_back(std::make_shared<BrowserTool>(Fn::search, config));
  out.push_back(std::make_shared<BrowserTool>(Fn::open, config));
  out.push_back(std::make_shared<BrowserTool>(Fn::find, config));
  return out;
}

void add_browser_tools(tools::Registry& registry, std::shared_ptr<const BrowserConfig> config) {
  std::string source = config->source();
  for (auto& t : make_browser_tools(std::move(config))) registry.add(std::move(t));
  registry.describe_namespace("browser", browser_description(source));
}

BrowserState* session_browser(tools::ToolSession& session) {
  Slot* slot = session.find<Slot>(kSessionKey);
  return slot ? slot->state.get() : nullptr;
}

}  // namespace ossa::browser
