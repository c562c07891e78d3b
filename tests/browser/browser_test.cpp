#include "tools/browser/browser.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/browser/fixture.hpp"
#include "tests/net/test_server.hpp"
#include "tools/browser/browser_tool.hpp"
#include "tools/browser/local_docs_backend.hpp"
#include "tools/browser/run_blocking.hpp"
#include "tools/browser/searxng_backend.hpp"
#include "tools/net/http_client.hpp"
#include "tools/registry.hpp"

using namespace ossa::browser;
using ossa::test::ServerReply;
using ossa::test::ServerRequest;
using ossa::test::TestServer;
using ossa::test::browser_fixture;

namespace {

std::string docs_dir() { return std::string(OSSA_TEST_DATA_DIR) + "/browser/docs"; }

// A small site: /article (the fixture), /borrowing.html, and a fake SearXNG at /search.
ServerReply site(const ServerRequest& r) {
  ServerReply rep;
  if (r.target == "/book/ownership.html") {
    rep.body = browser_fixture("article.html");
  } else if (r.target == "/book/borrowing.html") {
    rep.body = "<html><head><title>Borrowing</title></head><body><p>References borrow values.</p>"
               "<p><a href='ownership.html'>back</a></p></body></html>";
  } else if (r.target == "/plain.txt") {
    rep.headers = {{"Content-Type", "text/plain"}};
    rep.body = "just text 【0†not a link】";
  } else if (r.target == "/image.png") {
    rep.headers = {{"Content-Type", "image/png"}};
    rep.body = "\x89PNG";
  } else if (r.target.rfind("/search?", 0) == 0) {
    rep.headers = {{"Content-Type", "application/json"}};
    nlohmann::json results = nlohmann::json::array();
    results.push_back({{"url", "http://127.0.0.1:" + r.header("Host").substr(r.header("Host").find(':') + 1) + "/book/ownership.html"},
                       {"title", "Rust ownership"},
                       {"content", "Each value has an <owner> & a scope."}});
    results.push_back({{"url", "https://docs.example.org/x"}, {"title", "Other"}, {"content", "More."}});
    rep.body = nlohmann::json{{"query", r.target}, {"results", results}}.dump();
  } else {
    rep.status = 404;
    rep.body = "<p>missing</p>";
  }
  return rep;
}

std::shared_ptr<BrowserConfig> web_config(const TestServer& server, std::vector<std::string> rules = {}) {
  auto c = std::make_shared<BrowserConfig>();
  ossa::net::HttpClientOptions o;
  o.policy = ossa::net::NetworkPolicy(rules.empty() ? std::vector<std::string>{"127.0.0.1:" + std::to_string(server.port())} : rules);
  o.total_timeout = std::chrono::seconds(5);
  c->http = std::make_shared<ossa::net::HttpClient>(o);
  c->backend = std::make_shared<SearxngBackend>(server.base_url());
  return c;
}

}  // namespace

TEST(Browser, OpenUrlFollowLinkScrollAndCursorErrors) {
  TestServer server(site);
  BrowserState b(web_config(server));
  std::string url = server.base_url() + "/book/ownership.html";
  auto r = b.open({url});
  ASSERT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.text.substr(0, r.text.find('\n')), "[0] Rust ownership explained (" + url + ")");
  EXPECT_NE(r.text.find("**viewing lines [0 - 26] of 26**\n\nL0: \nL1: URL: " + url), std::string::npos);
  EXPECT_NE(r.text.find("L6: Each value in Rust has an owner. See the 【2†borrowing chapter】"), std::string::npos);

  auto link = b.open({2LL});  // follow "borrowing chapter"
  ASSERT_FALSE(link.is_error) << link.text;
  EXPECT_EQ(link.text.substr(0, 14), "[1] Borrowing ");
  EXPECT_NE(link.text.find("References borrow values."), std::string::npos);

  OpenArgs scroll;
  scroll.cursor = 0;
  scroll.loc = 20;
  scroll.num_lines = 2;
  auto s = b.open(scroll);
  ASSERT_FALSE(s.is_error) << s.text;
  EXPECT_NE(s.text.find("[2] Rust ownership explained"), std::string::npos);
  EXPECT_NE(s.text.find("**viewing lines [20 - 21] of 26**\n\nL20: Again the 【2†borrowing chapter】 reuses its id.\nL21: "), std::string::npos);
  EXPECT_EQ(b.depth(), 3u);

  OpenArgs bad_cursor;
  bad_cursor.cursor = 7;
  auto e = b.open(bad_cursor);
  EXPECT_TRUE(e.is_error);
  EXPECT_EQ(e.text, "Cursor `7` is out of range. Available cursor indices: [0 - 2].");
  auto bad_link = b.open({99LL});
  EXPECT_TRUE(bad_link.is_error);
  EXPECT_EQ(bad_link.text, "Invalid link id `99`.");
  OpenArgs far;
  far.loc = 500;
  auto f = b.open(far);
  EXPECT_TRUE(f.is_error);
  EXPECT_EQ(f.text, "Invalid location parameter: `500`. Cannot exceed page maximum of 26.");
  EXPECT_EQ(b.depth(), 3u);  // the failed display was popped again
}

TEST(Browser, EmptyStackAndFetchErrors) {
  TestServer server(site);
  BrowserState b(web_config(server));
  EXPECT_EQ(b.open({}).text, "No pages to access!");
  EXPECT_EQ(b.find("x").text, "No pages to access!");
  auto missing = b.open({server.base_url() + "/nope"});
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("HTTP 404"), std::string::npos);
  auto image = b.open({server.base_url() + "/image.png"});
  EXPECT_NE(image.text.find("cannot display content of type `image/png`"), std::string::npos);
  auto text = b.open({server.base_url() + "/plain.txt"});
  ASSERT_FALSE(text.is_error) << text.text;
  EXPECT_NE(text.text.find("just text 〖0†not a link〗"), std::string::npos);
  auto ftp = b.open({std::string("ftp://example.org/")});
  EXPECT_NE(ftp.text.find("only http(s) URLs"), std::string::npos);
}

TEST(Browser, NetworkPolicyRefusalsReachTheModel) {
  TestServer server(site);
  BrowserState b(web_config(server, {"*"}));  // web allowed, loopback not named
  auto r = b.open({server.base_url() + "/book/ownership.html"});
  ASSERT_TRUE(r.is_error);
  EXPECT_NE(r.text.find("Error fetching URL"), std::string::npos);
  EXPECT_NE(r.text.find("refused by network policy"), std::string::npos);
  auto meta = b.open({std::string("http://169.254.169.254/latest/meta-data/")});
  ASSERT_TRUE(meta.is_error);
  EXPECT_NE(meta.text.find("cloud metadata"), std::string::npos);
}

TEST(Browser, FindThenOpenMatchPositionsTheView) {
  TestServer server(site);
  BrowserState b(web_config(server));
  ASSERT_FALSE(b.open({server.base_url() + "/book/ownership.html"}).is_error);
  auto f = b.find("DROPPED");
  ASSERT_FALSE(f.is_error) << f.text;
  EXPECT_NE(f.text.find("[1] Find results for text: `dropped` in `Rust ownership explained`"), std::string::npos);
  EXPECT_NE(f.text.find("L0: # 【0†match at L14】\nL1:   * When the owner goes out of scope, the value is dropped."), std::string::npos);
  auto again = b.find("x");
  EXPECT_TRUE(again.is_error);
  EXPECT_EQ(again.text, "Cannot run `find` on search results page or find results page");
  auto open = b.open({0LL});
  ASSERT_FALSE(open.is_error) << open.text;
  EXPECT_NE(open.text.find("**viewing lines [10 - "), std::string::npos);  // match line 14 - 4
  EXPECT_EQ(server.requests().size(), 1u);  // the page came from the cache, not a refetch
  auto by_cursor = b.find("borrowing", 0);
  ASSERT_FALSE(by_cursor.is_error);
  EXPECT_NE(by_cursor.text.find("# 【0†match at L6】"), std::string::npos);
}

TEST(Browser, SearxngSearchAndFollowResult) {
  TestServer server(site);
  BrowserState b(web_config(server));
  auto r = b.search("rust ownership");
  ASSERT_FALSE(r.is_error) << r.text;
  std::string domain = "127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(r.text.substr(0, r.text.find('\n')), "[0] rust ownership");
  EXPECT_NE(r.text.find("L2: # Search Results"), std::string::npos);
  EXPECT_NE(r.text.find("L4:   * 【0†Rust ownership†" + domain + "】 Each value has an <owner> & a scope."), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("【1†Other†docs.example.org】 More."), std::string::npos);
  auto q = server.requests().back().target;
  EXPECT_EQ(q, "/search?q=rust%20ownership&format=json&pageno=1");
  auto open = b.open({0LL});
  ASSERT_FALSE(open.is_error) << open.text;
  EXPECT_NE(open.text.find("[1] Rust ownership explained"), std::string::npos);
  // Citations in the final answer become links; the search page (no URL) stays as written.
  EXPECT_EQ(b.normalize_citations("Values have one owner【1†L13-L14】. Search【0†L4】. Bad【9†L1】."),
            "Values have one owner ([" + domain + "](" + server.base_url() +
                "/book/ownership.html)) . Search【0†L4】. Bad【9†L1】.");
  EXPECT_EQ(b.normalize_citations("streaming 【1†L1", true), "streaming ");
}

TEST(Browser, SearxngErrorsAreReported) {
  TestServer server([](const ServerRequest&) {
    ServerReply rep;
    rep.status = 403;
    return rep;
  });
  BrowserState b(web_config(server));
  auto r = b.search("x");
  ASSERT_TRUE(r.is_error);
  EXPECT_NE(r.text.find("Error during search for `x`: SearXNG returned HTTP 403"), std::string::npos);
  auto none = std::make_shared<BrowserConfig>();
  none->missing_backend_reason = "nothing configured";
  EXPECT_EQ(BrowserState(none).search("y").text, "Error during search for `y`: nothing configured");
}

TEST(LocalDocs, Bm25SearchOpenAndRelativeLinks) {
  auto backend = std::make_shared<LocalDocsBackend>(docs_dir());
  EXPECT_EQ(backend->document_count(), 3u);  // .bin is not indexed
  std::vector<SearchHit> hits;
  std::string err;
  ASSERT_TRUE(backend->search("widget cache eviction", 10, &hits, &err)) << err;
  ASSERT_GE(hits.size(), 1u);
  EXPECT_EQ(hits[0].url, "localdocs://docs/tuning.md");
  EXPECT_EQ(hits[0].title, "Tuning the widget cache");
  EXPECT_NE(hits[0].snippet.find("widget cache"), std::string::npos);
  ASSERT_TRUE(backend->search("port installer", 10, &hits, &err));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].title, "Installing the widget server");
  ASSERT_TRUE(backend->search("qwertyuiop", 10, &hits, &err));
  EXPECT_TRUE(hits.empty());

  auto c = std::make_shared<BrowserConfig>();
  c->backend = backend;
  BrowserState b(c);
  auto r = b.search("installer port");
  ASSERT_FALSE(r.is_error) << r.text;
  EXPECT_NE(r.text.find("【0†Installing the widget server†docs】"), std::string::npos) << r.text;
  auto doc = b.open({0LL});
  ASSERT_FALSE(doc.is_error) << doc.text;
  EXPECT_NE(doc.text.find("[1] Installing the widget server (localdocs://docs/guide/install.html)"), std::string::npos);
  EXPECT_NE(doc.text.find("【0†tuning notes】"), std::string::npos);
  auto next = b.open({0LL});  // ../tuning.md, resolved relative to the document
  ASSERT_FALSE(next.is_error) << next.text;
  EXPECT_NE(next.text.find("[2] Tuning the widget cache (localdocs://docs/tuning.md)"), std::string::npos);
  // No way out of the folder.
  for (std::string bad : {"localdocs://docs/../browser/article.html", "localdocs://docs/%2e%2e/article.html",
                          "localdocs://docs/ignored.bin", "localdocs://docs/"}) {
    auto e = b.open({bad});
    EXPECT_TRUE(e.is_error) << bad;
    EXPECT_NE(e.text.find("no such local document"), std::string::npos) << bad << ": " << e.text;
  }
  // Without a web client, http URLs are refused politely.
  EXPECT_NE(b.open({std::string("http://example.com/")}).text.find("web access is not enabled"), std::string::npos);
}

// Issue 17, item 5, as attacked: a link to a host file placed in the docs folder (sandboxed
// code can write one into the workspace) put that file's contents in search snippets. Only
// regular files beneath the folder are indexed or opened; links, to files or folders, are not.
TEST(LocalDocs, LinksInTheFolderAreNeitherIndexedNorOpened) {
  namespace fs = std::filesystem;
  const fs::path base = fs::temp_directory_path() / ("ossa-docs-link-" + std::to_string(::getpid()));
  fs::remove_all(base);
  const fs::path docs = base / "docs", host = base / "host";
  fs::create_directories(docs / "guide");
  fs::create_directories(host / "secrets");
  std::ofstream(docs / "guide" / "intro.md") << "# Widget intro\nThe widget server starts.\n";
  std::ofstream(host / "shadow.txt") << "root:zebrasecret42:19000:0:99999:7:::\n";
  std::ofstream(host / "secrets" / "keys.md") << "# Keys\nzebrasecret42 lives here\n";
  fs::create_symlink(host / "shadow.txt", docs / "shadow.txt");
  fs::create_symlink(host / "shadow.txt", docs / "guide" / "notes.txt");
  fs::create_directory_symlink(host / "secrets", docs / "more");

  auto backend = std::make_shared<LocalDocsBackend>(docs.string());
  EXPECT_EQ(backend->document_count(), 1u);
  std::vector<SearchHit> hits;
  std::string err;
  ASSERT_TRUE(backend->search("zebrasecret42 root", 10, &hits, &err)) << err;
  for (const auto& h : hits) ADD_FAILURE() << "indexed through a link: " << h.url << ": " << h.snippet;
  ASSERT_TRUE(backend->search("widget", 10, &hits, &err)) << err;
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].url, "localdocs://docs/guide/intro.md");
  for (const char* url : {"localdocs://docs/shadow.txt", "localdocs://docs/guide/notes.txt",
                          "localdocs://docs/more/keys.md"}) {
    auto f = backend->fetch(url);
    ASSERT_TRUE(f.has_value()) << url;
    EXPECT_FALSE(f->error.empty()) << url << " was opened through a link";
    if (f->page) {
      EXPECT_EQ(f->page->text.find("zebrasecret42"), std::string::npos) << url;
    }
  }
  auto ok = backend->fetch("localdocs://docs/guide/intro.md");
  ASSERT_TRUE(ok && ok->error.empty());
  fs::remove_all(base);
}

TEST(BrowserTool, RegistryDispatchKeepsThePageStackPerSession) {
  ossa::tools::Registry reg;
  BrowserSettings settings;
  settings.search_backend = "local:" + docs_dir();
  add_browser_tools(reg, make_browser_config(settings));
  auto sys = reg.system_tools();
  ASSERT_TRUE(sys.contains("browser"));
  EXPECT_NE(sys["browser"]["description"].get<std::string>().find("sources=local documents"), std::string::npos);

  boost::asio::io_context io;
  ossa::tools::ToolSession session;
  ossa::tools::ToolContext ctx;
  ctx.executor = io.get_executor();
  ctx.session = &session;
  auto call = [&](std::string recipient, std::string body) {
    ossa::tools::ToolCall c;
    c.recipient = std::move(recipient);
    c.body = std::move(body);
    auto fut = boost::asio::co_spawn(io, reg.dispatch(c, ctx), boost::asio::use_future);
    io.restart();
    io.run();
    return fut.get();
  };
  auto s = call("browser.search", R"({"query": "widget cache"})");
  ASSERT_FALSE(s.is_error) << s.text;
  EXPECT_EQ(s.text.substr(0, 16), "[0] widget cache");
  auto o = call("browser.open", R"({"id": 0})");
  ASSERT_FALSE(o.is_error) << o.text;
  EXPECT_EQ(o.text.substr(0, 29), "[1] Tuning the widget cache (");
  auto f = call("browser.find", R"({"pattern": "eviction"})");
  ASSERT_FALSE(f.is_error) << f.text;
  EXPECT_NE(f.text.find("[2] Find results for text: `eviction`"), std::string::npos);
  auto bad = call("browser.open", R"({"cursor": 12})");
  EXPECT_TRUE(bad.is_error);
  EXPECT_EQ(bad.text, "Cursor `12` is out of range. Available cursor indices: [0 - 2].");
  ASSERT_NE(session_browser(session), nullptr);
  EXPECT_EQ(session_browser(session)->depth(), 3u);
  auto invalid = call("browser.search", R"({"topn": 3})");
  EXPECT_TRUE(invalid.is_error);  // schema: query is required
}

TEST(BrowserTool, DirectInvoke) {
  BrowserSettings settings;
  settings.search_backend = "local:" + docs_dir();
  auto tools = make_browser_tools(make_browser_config(settings));
  boost::asio::io_context io;
  ossa::tools::ToolSession session;
  ossa::tools::ToolContext ctx;
  ctx.executor = io.get_executor();
  ctx.session = &session;
  ossa::tools::ToolCall c;
  c.recipient = "browser.search";
  c.arguments = ossa::tools::Json::object();
  c.arguments["query"] = "widget cache";
  auto fut = boost::asio::co_spawn(io, tools[0]->invoke(c, ctx), boost::asio::use_future);
  io.run();
  auto r = fut.get();
  EXPECT_EQ(r.text.substr(0, 16), "[0] widget cache");
}

TEST(BrowserTool, RunBlockingAlone) {
  boost::asio::io_context io;
  auto coro = []() -> boost::asio::awaitable<BrowserReply> {
    std::string big(100, 'x');
    // Named locals, not temporaries inside the co_await expression: GCC 12 destroys those twice
    // (tools/browser/README.md), which ASan reports as a double free.
    auto work = [big] { return BrowserReply{big, false}; };
    auto op = ossa::browser::run_blocking(std::move(work));
    auto r = co_await std::move(op);
    co_return r;
  };
  auto fut = boost::asio::co_spawn(io, coro(), boost::asio::use_future);
  io.run();
  EXPECT_EQ(fut.get().text, std::string(100, 'x'));
}

// Issue 19: without a search backend browser.search always failed, yet it was offered to the
// model. It is offered only when a backend is configured; open and find are offered either way.
TEST(BrowserTool, SearchIsOfferedOnlyWithABackend) {
  ::unsetenv("OSSA_SEARXNG_URL");
  ::unsetenv("OSSA_LOCAL_DOCS");
  auto names = [](const BrowserSettings& s) {
    std::vector<std::string> out;
    for (const auto& t : make_browser_tools(make_browser_config(s))) out.push_back(t->spec().recipient());
    return out;
  };
  BrowserSettings none;
  EXPECT_EQ(names(none), (std::vector<std::string>{"browser.open", "browser.find"}));
  BrowserSettings local;
  local.search_backend = "local:" + docs_dir();
  EXPECT_EQ(names(local), (std::vector<std::string>{"browser.search", "browser.open", "browser.find"}));
  // A backend that cannot work says which setting to change.
  BrowserSettings unknown;
  unknown.search_backend = "google";
  auto config = make_browser_config(unknown);
  EXPECT_EQ(config->backend, nullptr);
  EXPECT_NE(config->missing_backend_reason.find("`[search] backend` or --search"), std::string::npos)
      << config->missing_backend_reason;
}
