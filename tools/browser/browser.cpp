#include "tools/browser/browser.hpp"

#include <algorithm>
#include <cctype>

#include "tools/browser/html_to_text.hpp"
#include "tools/net/http_client.hpp"
#include "tools/net/url.hpp"

namespace ossa::browser {
namespace {

std::string truncate(std::string s, std::size_t n = 1024) {
  if (s.size() > n) s = s.substr(0, n - 3) + "...";
  return s;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

constexpr std::string_view kViewSource = "view-source:";

}  // namespace

BrowserState::BrowserState(std::shared_ptr<const BrowserConfig> config)
    : config_(std::move(config)) {}

std::shared_ptr<const Page> BrowserState::page_for_cursor(long long cursor, std::string* error) const {
  if (stack_.empty()) {
    *error = "No pages to access!";
    return nullptr;
  }
  if (cursor == -1) return stack_.back();
  if (cursor < 0 || cursor >= static_cast<long long>(stack_.size())) {
    *error = "Cursor `" + std::to_string(cursor) + "` is out of range. Available cursor indices: [0 - " +
             std::to_string(stack_.size() - 1) + "].";
    return nullptr;
  }
  return stack_[static_cast<std::size_t>(cursor)];
}

BrowserReply BrowserState::show_pushed(long long loc, long long num_lines) {
  std::string error;
  auto text = render_page(*stack_.back(), static_cast<int>(stack_.size() - 1),
                          static_cast<int>(std::clamp<long long>(loc, -1, 1 << 30)),
                          static_cast<int>(std::clamp<long long>(num_lines, -1, 1 << 30)),
                          config_->view, &error);
  if (!text) {
    stack_.pop_back();  // a display that failed leaves no page behind
    return {error, true};
  }
  return {*text, false};
}

BrowserReply BrowserState::search(std::string_view query) {
  if (!config_->backend) {
    return {"Error during search for `" + std::string(query) + "`: " +
                (config_->missing_backend_reason.empty() ? "no search backend is configured"
                                                         : config_->missing_backend_reason),
            true};
  }
  std::vector<SearchHit> hits;
  std::string error;
  if (!config_->backend->search(query, config_->max_search_results, &hits, &error))
    return {"Error during search for `" + std::string(query) + "`: " + truncate(error), true};
  // The same small HTML page the reference backends build, so results render identically:
  // result k shows as 【k†title†domain】 snippet.
  std::string html = "\n<html><body>\n<h1>Search Results</h1>\n<ul>\n";
  for (const auto& h : hits) {
    html += "<li><a href='" + html_escape(h.url) + "'>" + html_escape(h.title) + "</a> " +
            html_escape(h.snippet) + "</li>";
  }
  html += "\n</ul>\n</body></html>\n";
  auto page = std::make_shared<Page>(html_to_page(html, "", query, true));
  cache_.emplace_back("", page);  // find-results links of this page point back at ""
  stack_.push_back(std::move(page));
  return show_pushed(0, -1);
}

std::shared_ptr<const Page> BrowserState::fetch(const std::string& url_in, bool refresh,
                                                std::string* error) {
  if (!refresh) {
    for (auto it = cache_.rbegin(); it != cache_.rend(); ++it)
      if (it->first == url_in) return it->second;
  }
  auto fail = [&](const std::string& why) -> std::shared_ptr<const Page> {
    *error = "Error fetching URL `" + truncate(url_in) + "`: " + truncate(why);
    return nullptr;
  };
  bool view_source = url_in.rfind(kViewSource, 0) == 0;
  std::string url = view_source ? url_in.substr(kViewSource.size()) : url_in;
  std::shared_ptr<const Page> page;
  if (config_->backend) {
    if (auto owned = config_->backend->fetch(url)) {
      if (!owned->page) return fail(owned->error);
      if (view_source) return fail("view_source is not available for this document");
      page = std::make_shared<Page>(std::move(*owned->page));
    }
  }
  if (!page) {
    auto parsed = net::parse_url(url);
    if (!parsed || (parsed->scheme != "http" && parsed->scheme != "https"))
      return fail("only http(s) URLs can be opened");
    if (!config_->http) return fail("web access is not enabled");
    net::HttpRequest req;
    req.url = url;
    req.headers = {{"Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5"}};
    auto r = config_->http->request(req, nullptr, {config_->http_policy, std::nullopt});
    if (!r) return fail(r.error->message);
    const auto& res = *r.response;
    if (res.status >= 400) return fail("HTTP " + std::to_string(res.status) + " " + res.reason);
    std::string type = lower(res.header("content-type"));
    std::string final_url = res.final_url.empty() ? url : res.final_url;
    if (view_source) {
      page = std::make_shared<Page>(text_to_page(res.body, url_in, url_in, true));
    } else if (type.find("html") != std::string::npos ||
               (type.empty() && res.body.find('<') != std::string::npos)) {
      page = std::make_shared<Page>(html_to_page(res.body, final_url, {}, true));
    } else if (type.rfind("text/", 0) == 0 || type.find("json") != std::string::npos ||
               type.find("xml") != std::string::npos || type.empty()) {
      page = std::make_shared<Page>(text_to_page(res.body, final_url, {}, true));
    } else {
      return fail("cannot display content of type `" + type + "`");
    }
  }
  cache_.emplace_back(url_in, page);
  if (page->url != url_in) cache_.emplace_back(page->url, page);
  if (cache_.size() > 64) cache_.erase(cache_.begin(), cache_.begin() + 2);
  return page;
}

BrowserReply BrowserState::open(const OpenArgs& args) {
  std::string error;
  std::shared_ptr<const Page> target;
  const Snippet* snippet = nullptr;
  std::string url;
  bool refresh = false, stay = false;
  std::shared_ptr<const Page> current;
  if (auto* s = std::get_if<std::string>(&args.id)) {
    url = *s;
    refresh = true;
  } else {
    current = page_for_cursor(args.cursor, &error);
    if (!current) return {error, true};
    long long id = std::get<long long>(args.id);
    if (id >= 0) {
      if (id >= static_cast<long long>(current->links.size()))
        return {"Invalid link id `" + std::to_string(id) + "`.", true};
      url = current->links[static_cast<std::size_t>(id)];
      if (current->snippets) {
        auto it = current->snippets->find(static_cast<int>(id));
        if (it != current->snippets->end()) snippet = &it->second;
      }
    } else {
      stay = !args.view_source;
      url = current->url;
    }
  }
  if (args.view_source) {
    url = std::string(kViewSource) + url;
    snippet = nullptr;
  }
  long long loc = args.loc;
  if (loc < 0) {
    loc = 0;
    if (snippet) loc = snippet->line > 4 ? snippet->line - 4 : snippet->line;
  }
  if (stay) {
    target = current;
  } else {
    target = fetch(url, refresh, &error);
    if (!target) return {error, true};
  }
  stack_.push_back(target);
  return show_pushed(loc, args.num_lines);
}

BrowserReply BrowserState::find(std::string_view pattern, long long cursor) {
  std::string error;
  auto page = page_for_cursor(cursor, &error);
  if (!page) return {error, true};
  if (page->snippets)
    return {"Cannot run `find` on search results page or find results page", true};
  stack_.push_back(std::make_shared<Page>(find_in_page(*page, pattern)));
  return show_pushed(0, -1);
}

std::string BrowserState::normalize_citations(std::string_view text, bool hide_partial) const {
  const std::string open = "【", close = "】", dagger = "†";
  std::string in(text);
  if (hide_partial) {
    // 【, 【12, 【12†content... with no closing bracket at the very end of a streamed text.
    auto o = in.rfind(open);
    if (o != std::string::npos && in.find(close, o) == std::string::npos) {
      std::string_view rest = std::string_view(in).substr(o + open.size());
      std::size_t d = 0;
      while (d < rest.size() && std::isdigit(static_cast<unsigned char>(rest[d]))) ++d;
      if (d == rest.size() || rest.substr(d, dagger.size()) == dagger) in.resize(o);
    }
  }
  std::string out;
  std::size_t i = 0;
  while (i < in.size()) {
    auto o = in.find(open, i);
    if (o == std::string::npos) break;
    std::size_t p = o + open.size(), d = p;
    while (d < in.size() && std::isdigit(static_cast<unsigned char>(in[d]))) ++d;
    auto c = in.find(close, d);
    bool ok = d > p && in.compare(d, dagger.size(), dagger) == 0 && c != std::string::npos &&
              c > d + dagger.size();
    if (ok) {
      // content [^†】]+ then optionally †[^†】]+
      std::string_view body = std::string_view(in).substr(d + dagger.size(), c - d - dagger.size());
      auto second = body.find(dagger);
      if (second == 0 || (second != std::string_view::npos &&
                          (body.size() == second + dagger.size() ||
                           body.find(dagger, second + dagger.size()) != std::string_view::npos)))
        ok = false;
    }
    if (!ok) {
      out += in.substr(i, p - i);
      i = p;
      continue;
    }
    out += in.substr(i, o - i);
    long long cursor = d - p > 9 ? -1 : std::stoll(in.substr(p, d - p));
    std::string url;
    if (cursor >= 0 && cursor < static_cast<long long>(stack_.size()))
      url = stack_[static_cast<std::size_t>(cursor)]->url;
    if (!url.empty()) {
      std::string decoded = net::percent_decode(url);
      std::string domain = decoded;
      auto s1 = decoded.find('/');
      if (s1 != std::string::npos && decoded.size() > s1 + 1 && decoded[s1 + 1] == '/') {
        auto start = s1 + 2;
        auto end = decoded.find('/', start);
        domain = decoded.substr(start, end == std::string::npos ? std::string::npos : end - start);
      }
      out += " ([" + domain + "](" + url + ")) ";
    } else {
      out += in.substr(o, c + close.size() - o);
    }
    i = c + close.size();
  }
  out += in.substr(std::min(i, in.size()));
  return out;
}

}  // namespace ossa::browser
