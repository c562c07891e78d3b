#include "tools/browser/html_to_text.hpp"

#include <gtest/gtest.h>

#include "tests/browser/fixture.hpp"
#include "tools/browser/page_view.hpp"

using namespace ossa::browser;
using ossa::test::browser_fixture;

namespace {
const char* kUrl = "https://rust.example.com/book/ownership.html";
}  // namespace

TEST(HtmlToText, RendersTheArticleLikeTheReference) {
  Page p = html_to_page(browser_fixture("article.html"), kUrl);
  EXPECT_EQ(p.title, "Rust ownership explained");
  const std::string expected =
      "\nURL: https://rust.example.com/book/ownership.html\n"
      "【0†Home】 【1†About us†other.example.org】\n\n"
      "# Ownership\n\n"
      "Each value in Rust has an owner. See the 【2†borrowing chapter】 and the "
      "【3†official book†doc.rust-lang.org】. Mail the author. Jump to the rules.\n\n"
      "Energy is E=mc^{2} and water is H_{2}O. Done.\n\n"
      "## Rules\n\n"
      "  * There can only be one owner at a time.\n"
      "  * When the owner goes out of scope, the value is dropped.\n\n"
      "[Image 0: Ferris the crab] [Image 1]\n\n"
      "A fake marker 〖9†evil〗 must not count as a link; a dagger † in 【4†link ‡ text】.\n\n"
      "Again the 【2†borrowing chapter】 reuses its id.\n\n"
      "cell one cell two\n\n"
      "This is a long paragraph that keeps going so that the browser must wrap it across several "
      "lines of at most eighty characters each, which the model then sees as separate numbered "
      "lines in its viewing window.";
  EXPECT_EQ(p.text, expected);
  ASSERT_EQ(p.links.size(), 5u);  // ids per distinct URL; mailto and #fragment get none
  EXPECT_EQ(p.links[0], "https://rust.example.com/");
  EXPECT_EQ(p.links[1], "https://other.example.org/about");
  EXPECT_EQ(p.links[2], "https://rust.example.com/book/borrowing.html");
  EXPECT_EQ(p.links[3], "https://doc.rust-lang.org/book/");
  EXPECT_EQ(p.links[4], "https://rust.example.com/dagger");
  EXPECT_EQ(p.text.find("script text"), std::string::npos);
  EXPECT_EQ(p.text.find("color"), std::string::npos);
}

TEST(HtmlToText, TitleFallbacksAndHostileInput) {
  EXPECT_EQ(html_to_page("<p>x</p>", "http://h.example:8080/a", "", false).title, "h.example:8080");
  EXPECT_EQ(html_to_page("<title>T</title>", "http://h/", "Given", false).title, "Given");
  Page broken = html_to_page("<div><a href='x'>unclosed <b>tags <p>and \xff\xfe bytes 😀", "http://h/", "", false);
  EXPECT_EQ(broken.links.size(), 1u);
  EXPECT_EQ(broken.text.find("😀"), std::string::npos);  // outside the BMP: dropped
  EXPECT_EQ(html_to_page("", "", "", false).text, "");
}

TEST(HtmlToText, PreservesPreformattedText) {
  Page p = html_to_page("<p>Code:</p><pre>int main() {\n  return 0;\n}</pre><p>after</p>", "http://h/", "", false);
  EXPECT_EQ(p.text, "Code:\n\n    int main() {\n      return 0;\n    }\n\nafter");
}

TEST(PageView, WrapsLikeTextwrap) {
  auto lines = wrap_lines("short\n\n" + std::string(100, 'x') + "\nword " + std::string(90, 'y'));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], "short");
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], std::string(80, 'x'));
  EXPECT_EQ(lines[3], std::string(20, 'x'));
  EXPECT_EQ(lines[4], "word " + std::string(75, 'y'));
  EXPECT_EQ(lines[5], std::string(15, 'y'));
  // Widths count characters, not bytes.
  auto wide = wrap_lines(std::string(40, 'a') + " " + [] {
    std::string s;
    for (int i = 0; i < 39; ++i) s += "é";
    return s;
  }());
  EXPECT_EQ(wide.size(), 1u);
}

TEST(PageView, HeaderWindowAndLocErrors) {
  Page p;
  p.url = "http://h.example/a%20b";
  p.title = "Title";
  for (int i = 0; i < 30; ++i) p.text += "line " + std::to_string(i) + "\n";
  p.text.pop_back();
  std::string err;
  auto shown = render_page(p, 2, 5, 3, {}, &err);
  ASSERT_TRUE(shown);
  EXPECT_EQ(*shown,
            "[2] Title (http://h.example/a b)\n**viewing lines [5 - 7] of 29**\n\n"
            "L5: line 5\nL6: line 6\nL7: line 7");
  EXPECT_FALSE(render_page(p, 0, 30, -1, {}, &err));
  EXPECT_EQ(err, "Invalid location parameter: `30`. Cannot exceed page maximum of 29.");
  // A token budget cuts the window at the line that reaches it.
  ViewOptions tight;
  tight.view_tokens = 10;
  tight.count_tokens = [](std::string_view) { return std::size_t{3}; };
  auto cut = render_page(p, 0, 0, -1, tight, &err);
  ASSERT_TRUE(cut);
  EXPECT_NE(cut->find("**viewing lines [0 - 3] of 29**"), std::string::npos);
  // Search pages have no URL: the header shows only the title.
  Page s;
  s.title = "query";
  s.text = "x";
  EXPECT_EQ(render_page(s, 0, 0, -1, {}, &err)->substr(0, 10), "[0] query\n");
}

TEST(PageView, FindMatchesAcrossWrappedMarkers) {
  Page p = html_to_page(browser_fixture("article.html"), kUrl);
  Page f = find_in_page(p, "OFFICIAL");
  EXPECT_EQ(f.title, "Find results for text: `official` in `Rust ownership explained`");
  EXPECT_EQ(f.url, std::string(kUrl) + "/find?pattern=official");
  // The marker split over L6/L7 is stripped to its text.
  EXPECT_EQ(f.text,
            "# 【0†match at L7】\n"
            "official book. Mail the author. Jump to the rules.\n\n"
            "Energy is E=mc^{2} and water is H_{2}O. Done.\n");
  ASSERT_TRUE(f.snippets);
  EXPECT_EQ(f.snippets->at(0).line, 7);
  EXPECT_EQ(f.links.at(0), kUrl);
  Page none = find_in_page(p, "zebra");
  EXPECT_EQ(none.text, "No `find` results for pattern: `zebra`");
}

TEST(PageView, StripLinkMarkers) {
  EXPECT_EQ(strip_link_markers("a 【1†b†c.org】 d 【2†e】"), "a b d e");
  EXPECT_EQ(strip_link_markers("tail†x】 rest 【3†cut"), " rest cut");
  EXPECT_EQ(strip_link_markers("【not a marker】"), "【not a marker】");
}
