#include "tools/browser/html_to_text.hpp"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "tools/net/url.hpp"

namespace ossa::browser {
namespace {

bool is_word_byte(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }
bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string merge_whitespace(std::string_view s) {
  std::string out;
  bool sp = false;
  for (unsigned char c : s) {
    if (is_space(c)) {
      sp = true;
      continue;
    }
    if (sp && !out.empty()) out += ' ';
    sp = false;
    out += static_cast<char>(c);
  }
  return out;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size())
    s.replace(p, from.size(), to);
  return s;
}

void collect_text(const GumboNode* n, std::string& out) {
  if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_CDATA) {
    out += n->v.text.text;
    out += ' ';
  } else if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE) {
    const GumboVector& ch = n->v.element.children;
    for (unsigned i = 0; i < ch.length; ++i) collect_text(static_cast<GumboNode*>(ch.data[i]), out);
  }
}

const GumboNode* find_tag(const GumboNode* n, GumboTag tag) {
  if (n->type != GUMBO_NODE_ELEMENT) return nullptr;
  if (n->v.element.tag == tag) return n;
  const GumboVector& ch = n->v.element.children;
  for (unsigned i = 0; i < ch.length; ++i)
    if (auto f = find_tag(static_cast<GumboNode*>(ch.data[i]), tag)) return f;
  return nullptr;
}

// Text laid out the way html2text does it (no wrapping, emphasis and tables ignored).
class Renderer {
 public:
  Renderer(std::string_view base_url) : base_(base_url), domain_(url_domain(base_url)) {}

  std::string text;
  std::vector<std::string> links;

  void node(const GumboNode* n) {
    switch (n->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_CDATA:
      case GUMBO_NODE_WHITESPACE:
        if (pre_)
          pre_text(n->v.text.text);
        else
          flow_text(n->v.text.text);
        return;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE:
        element(n);
        return;
      default:
        return;
    }
  }

 private:
  std::string base_, domain_;
  std::map<std::string, int> link_ids_;
  int want_nl_ = 0;
  bool space_ = false;
  bool boundary_ = false;  // a tag started or ended since the last character
  int pre_ = 0;
  int images_ = 0;
  std::vector<int> list_counters_;  // -1 = unordered, else next number

  void flush_breaks() {
    if (want_nl_) {
      if (!text.empty()) {
        while (!text.empty() && text.back() == ' ') text.pop_back();
        text.append(static_cast<std::size_t>(want_nl_), '\n');
      }
      want_nl_ = 0;
      space_ = false;
    }
  }

  void emit(std::string_view s) {
    if (s.empty()) return;
    flush_breaks();
    bool at_line_start = text.empty() || text.back() == '\n';
    if (space_ && !at_line_start && text.back() != ' ') {
      text += ' ';
    } else if (boundary_ && !at_line_start && is_word_byte(static_cast<unsigned char>(text.back())) &&
               is_word_byte(static_cast<unsigned char>(s.front()))) {
      text += ' ';  // page_contents.py puts a space between words separated only by tags
    }
    space_ = false;
    boundary_ = false;
    text += s;
  }

  void brk(int n) { want_nl_ = std::max(want_nl_, n); }

  void flow_text(std::string_view raw) {
    std::string s = neutralise_markers(raw);
    std::size_t i = 0;
    while (i < s.size()) {
      if (is_space(static_cast<unsigned char>(s[i]))) {
        space_ = true;
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < s.size() && !is_space(static_cast<unsigned char>(s[j]))) ++j;
      emit(std::string_view(s).substr(i, j - i));
      i = j;
    }
  }

  void pre_text(std::string_view raw) {
    std::string s = neutralise_markers(raw);
    flush_breaks();
    for (char c : s) {
      if (text.empty() || text.back() == '\n') text += "    ";
      if (c == '\n') {
        while (!text.empty() && text.back() == ' ') text.pop_back();
      }
      text += c;
    }
    space_ = false;
    boundary_ = false;
  }

  void children(const GumboNode* n) {
    const GumboVector& ch = n->v.element.children;
    for (unsigned i = 0; i < ch.length; ++i) node(static_cast<GumboNode*>(ch.data[i]));
  }

  static const char* attr(const GumboNode* n, const char* name) {
    const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, name);
    return a ? a->value : nullptr;
  }

  // <sup>2</sup> -> ^{2} when the content is one word (page_contents.py's regex).
  bool script_text(const GumboNode* n, const char* mark) {
    const GumboVector& ch = n->v.element.children;
    if (ch.length != 1) return false;
    auto* t = static_cast<GumboNode*>(ch.data[0]);
    if (t->type != GUMBO_NODE_TEXT) return false;
    std::string_view s = t->v.text.text;
    if (s.empty()) return false;
    for (unsigned char c : s)
      if (!is_word_byte(c) && c != '-') return false;
    boundary_ = false;  // the reference rewrites <sup>/<sub> before it spaces out tags
    emit(std::string(mark) + "{" + std::string(s) + "}");
    return true;
  }

  void anchor(const GumboNode* n) {
    const char* href = attr(n, "href");
    if (!href) return children(n);
    std::string link = href;
    std::string trimmed = merge_whitespace(link);
    if (trimmed.rfind("mailto:", 0) == 0 || trimmed.rfind("javascript:", 0) == 0) return children(n);
    std::string raw;
    collect_text(n, raw);
    std::string label = replace_all(merge_whitespace(neutralise_markers(raw)), "†", "‡");
    if (label.empty()) return children(n);  // an image link: its image shows instead
    if (!trimmed.empty() && trimmed[0] == '#') {
      emit(label);
      return;
    }
    std::string resolved = net::resolve_url(base_, trimmed);
    std::string domain = url_domain(resolved);
    if (domain.empty()) return children(n);
    auto [it, fresh] = link_ids_.emplace(resolved, static_cast<int>(links.size()));
    if (fresh) links.push_back(resolved);
    std::string marker = "【" + std::to_string(it->second) + "†" + label;
    if (domain != domain_) marker += "†" + domain;
    marker += "】";
    emit(marker);
  }

  void element(const GumboNode* n) {
    GumboTag tag = n->v.element.tag;
    boundary_ = true;
    switch (tag) {
      case GUMBO_TAG_HEAD:
      case GUMBO_TAG_SCRIPT:
      case GUMBO_TAG_STYLE:
      case GUMBO_TAG_NOSCRIPT:
      case GUMBO_TAG_TEMPLATE:
      case GUMBO_TAG_MATH:
      case GUMBO_TAG_SVG:
      case GUMBO_TAG_IFRAME:
      case GUMBO_TAG_OBJECT:
      case GUMBO_TAG_SELECT:
      case GUMBO_TAG_BUTTON:
        return;
      case GUMBO_TAG_A:
        anchor(n);
        break;
      case GUMBO_TAG_IMG: {
        const char* alt = attr(n, "alt");
        if (!alt || !*alt) alt = attr(n, "title");
        std::string s = "[Image " + std::to_string(images_++);
        if (alt && *alt) s += ": " + merge_whitespace(neutralise_markers(alt));
        emit(s + "]");
        break;
      }
      case GUMBO_TAG_BR:
        flush_breaks();
        while (!text.empty() && text.back() == ' ') text.pop_back();
        text += '\n';
        space_ = false;
        break;
      case GUMBO_TAG_HR:
        brk(2);
        emit("* * *");
        brk(2);
        break;
      case GUMBO_TAG_H1:
      case GUMBO_TAG_H2:
      case GUMBO_TAG_H3:
      case GUMBO_TAG_H4:
      case GUMBO_TAG_H5:
      case GUMBO_TAG_H6: {
        brk(2);
        emit(std::string(static_cast<std::size_t>(tag - GUMBO_TAG_H1 + 1), '#') + " ");
        children(n);
        brk(2);
        break;
      }
      case GUMBO_TAG_P:
      case GUMBO_TAG_BLOCKQUOTE:
      case GUMBO_TAG_TABLE:
        brk(2);
        children(n);
        brk(2);
        break;
      case GUMBO_TAG_PRE:
        brk(2);
        ++pre_;
        children(n);
        --pre_;
        brk(2);
        break;
      case GUMBO_TAG_UL:
      case GUMBO_TAG_OL:
        brk(list_counters_.empty() ? 2 : 1);
        list_counters_.push_back(tag == GUMBO_TAG_OL ? 1 : -1);
        children(n);
        list_counters_.pop_back();
        brk(list_counters_.empty() ? 2 : 1);
        break;
      case GUMBO_TAG_LI: {
        brk(1);
        std::string indent(2 * std::max<std::size_t>(1, list_counters_.size()), ' ');
        std::string bullet = "* ";
        if (!list_counters_.empty() && list_counters_.back() > 0)
          bullet = std::to_string(list_counters_.back()++) + ". ";
        flush_breaks();
        text += indent + bullet;
        space_ = false;
        boundary_ = false;
        children(n);
        brk(1);
        break;
      }
      case GUMBO_TAG_SUP:
        if (!script_text(n, "^")) children(n);
        break;
      case GUMBO_TAG_SUB:
        if (!script_text(n, "_")) children(n);
        break;
      case GUMBO_TAG_TD:
      case GUMBO_TAG_TH:
        space_ = true;
        children(n);
        space_ = true;
        break;
      case GUMBO_TAG_DIV:
      case GUMBO_TAG_TR:
      case GUMBO_TAG_SECTION:
      case GUMBO_TAG_ARTICLE:
      case GUMBO_TAG_HEADER:
      case GUMBO_TAG_FOOTER:
      case GUMBO_TAG_NAV:
      case GUMBO_TAG_MAIN:
      case GUMBO_TAG_ASIDE:
      case GUMBO_TAG_FORM:
      case GUMBO_TAG_FIGURE:
      case GUMBO_TAG_FIGCAPTION:
      case GUMBO_TAG_DL:
      case GUMBO_TAG_DT:
      case GUMBO_TAG_DD:
      case GUMBO_TAG_ADDRESS:
      case GUMBO_TAG_DETAILS:
      case GUMBO_TAG_SUMMARY:
      case GUMBO_TAG_CAPTION:
        brk(1);
        children(n);
        brk(1);
        break;
      default:
        children(n);
        break;
    }
    boundary_ = true;
  }
};

// Blank-only lines emptied, runs of blank lines collapsed to one, ends trimmed.
std::string tidy(const std::string& s) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (;;) {
    auto nl = s.find('\n', start);
    std::string line = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (std::all_of(line.begin(), line.end(), [](char c) { return is_space(static_cast<unsigned char>(c)); }))
      line.clear();
    lines.push_back(std::move(line));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  std::string out;
  bool prev_blank = false;
  for (const auto& l : lines) {
    if (l.empty()) {
      if (prev_blank) continue;
      prev_blank = true;
    } else {
      prev_blank = false;
    }
    out += l;
    out += '\n';
  }
  std::size_t b = 0;
  while (b < out.size() && is_space(static_cast<unsigned char>(out[b]))) ++b;
  std::size_t e = out.size();
  while (e > b && is_space(static_cast<unsigned char>(out[e - 1]))) --e;
  return out.substr(b, e - b);
}

}  // namespace

std::string url_domain(std::string_view url) {
  auto u = net::parse_url(url);
  if (!u) return {};
  std::string host = u->host_is_ipv6() ? "[" + u->host + "]" : u->host;
  if (u->explicit_port) {
    host += ':';
    host += std::to_string(u->port);
  }
  return host;
}

std::string neutralise_markers(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + len > in.size()) len = 1;
    std::string_view ch = in.substr(i, len);
    i += len;
    if (len == 4) continue;  // outside the Basic Multilingual Plane (emoji...): dropped
    if (ch == "【")
      out += "〖";
    else if (ch == "】")
      out += "〗";
    else if (ch == "◼")
      out += "◾";
    else if (ch == "\u200b")
      continue;
    else
      out += ch;
  }
  return out;
}

Page html_to_page(std::string_view html, std::string_view url, std::string_view title,
                  bool display_url) {
  GumboOutput* doc = gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size());
  Page page;
  page.url = std::string(url);
  if (!title.empty()) {
    page.title = std::string(title);
  } else if (const GumboNode* t = find_tag(doc->root, GUMBO_TAG_TITLE)) {
    std::string raw;
    collect_text(t, raw);
    page.title = merge_whitespace(neutralise_markers(raw));
  }
  if (page.title.empty()) page.title = url_domain(url);
  Renderer r(url);
  r.node(doc->root);
  gumbo_destroy_output(&kGumboDefaultOptions, doc);
  page.links = std::move(r.links);
  page.text = (display_url ? "\nURL: " + std::string(url) + "\n" : std::string()) + tidy(r.text);
  return page;
}

Page text_to_page(std::string_view text, std::string_view url, std::string_view title,
                  bool display_url) {
  Page page;
  page.url = std::string(url);
  page.title = title.empty() ? url_domain(url) : std::string(title);
  std::string body = neutralise_markers(text);
  body.erase(std::remove(body.begin(), body.end(), '\r'), body.end());
  page.text = (display_url ? "\nURL: " + std::string(url) + "\n" : std::string()) + tidy(body);
  return page;
}

}  // namespace ossa::browser
