#include "tools/patch/patch.hpp"

#include <algorithm>

namespace ossa::tools::patch {
namespace {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}
std::string_view rtrim(std::string_view s) {
  auto e = s.find_last_not_of(" \t\r\n");
  return e == std::string_view::npos ? std::string_view{} : s.substr(0, e + 1);
}
bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

constexpr std::string_view kBegin = "*** Begin Patch";
constexpr std::string_view kEnd = "*** End Patch";
constexpr std::string_view kAdd = "*** Add File: ";
constexpr std::string_view kDelete = "*** Delete File: ";
constexpr std::string_view kUpdate = "*** Update File: ";
constexpr std::string_view kMove = "*** Move to: ";
constexpr std::string_view kEof = "*** End of File";

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

std::string at_line(int n) { return "line " + std::to_string(n) + ": "; }

// Typographic punctuation models and editors substitute for ASCII, mapped back so a patch
// written with plain quotes still finds a line with curly ones (and vice versa).
std::string normalise(std::string_view s) {
  s = trim(s);
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0xE2 && i + 2 < s.size()) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      unsigned char c2 = static_cast<unsigned char>(s[i + 2]);
      if (c1 == 0x80 && c2 >= 0x90 && c2 <= 0x95) { out += '-'; i += 3; continue; }   // dashes
      if (c1 == 0x80 && c2 >= 0x98 && c2 <= 0x9B) { out += '\''; i += 3; continue; }  // ‘’‚‛
      if (c1 == 0x80 && c2 >= 0x9C && c2 <= 0x9F) { out += '"'; i += 3; continue; }   // “”„‟
      if (c1 == 0x88 && c2 == 0x92) { out += '-'; i += 3; continue; }                 // minus
      if (c1 == 0x80 && ((c2 >= 0x82 && c2 <= 0x8A) || c2 == 0xAF)) { out += ' '; i += 3; continue; }
    }
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) {
      out += ' ';
      i += 2;
      continue;
    }
    out += s[i++];
  }
  return out;
}

// First index >= start where `pattern` matches `lines`, trying decreasing strictness: exact,
// trailing whitespace ignored, surrounding whitespace ignored, typographic punctuation
// normalised. With `eof`, a match ending at the last line is tried first.
std::optional<std::size_t> seek(const std::vector<std::string>& lines,
                                const std::vector<std::string>& pattern, std::size_t start,
                                bool eof) {
  if (pattern.empty()) return start;
  if (pattern.size() > lines.size()) return std::nullopt;
  const std::size_t last = lines.size() - pattern.size();
  using Eq = bool (*)(const std::string&, const std::string&);
  const Eq levels[] = {
      [](const std::string& a, const std::string& b) { return a == b; },
      [](const std::string& a, const std::string& b) { return rtrim(a) == rtrim(b); },
      [](const std::string& a, const std::string& b) { return trim(a) == trim(b); },
      [](const std::string& a, const std::string& b) { return normalise(a) == normalise(b); },
  };
  auto matches_at = [&](std::size_t i, Eq eq) {
    for (std::size_t k = 0; k < pattern.size(); ++k)
      if (!eq(lines[i + k], pattern[k])) return false;
    return true;
  };
  for (Eq eq : levels) {
    if (eof && matches_at(last, eq)) return last;
    for (std::size_t i = start; i <= last; ++i)
      if (matches_at(i, eq)) return i;
  }
  return std::nullopt;
}

// Where the file comes closest to `pattern`: the start with the longest run of matching
// lines (whitespace-insensitive), and the first line that differs there.
std::string closest_mismatch(const std::vector<std::string>& lines,
                             const std::vector<std::string>& pattern) {
  std::size_t best_start = 0, best_run = 0;
  bool any = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::size_t run = 0;
    while (run < pattern.size() && i + run < lines.size() &&
           normalise(lines[i + run]) == normalise(pattern[run]))
      ++run;
    if (run > best_run) {
      best_run = run;
      best_start = i;
      any = true;
    }
  }
  if (!any) return "Not even the first of these lines occurs in the file.";
  std::string msg = "Closest match: line " + std::to_string(best_start + 1) + " of the file matches the first " +
                    std::to_string(best_run) + " line(s), then patch line `" + pattern[best_run] + "` ";
  if (best_start + best_run < lines.size())
    msg += "differs from the file's line " + std::to_string(best_start + best_run + 1) + ": `" +
           lines[best_start + best_run] + "`.";
  else
    msg += "runs past the end of the file.";
  return msg;
}

}  // namespace

ParseResult parse(std::string_view text) {
  ParseResult r;
  std::vector<std::string> lines = split_lines(text);
  // Blank lines around the envelope, and a heredoc wrapper, are not part of the patch.
  while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
  std::size_t first = 0;
  while (first < lines.size() && trim(lines[first]).empty()) ++first;
  if (first < lines.size() && starts_with(trim(lines[first]), "<<") && lines.size() - first >= 2) {
    ++first;
    lines.pop_back();
  }
  if (first >= lines.size() || trim(lines[first]) != kBegin) {
    r.error = "the first line of the patch must be `*** Begin Patch`";
    return r;
  }
  if (trim(lines.back()) != kEnd || lines.size() - 1 == first) {
    r.error = "the last line of the patch must be `*** End Patch`";
    return r;
  }
  const std::size_t end = lines.size() - 1;
  std::size_t i = first + 1;
  auto line_no = [&](std::size_t idx) { return static_cast<int>(idx + 1); };
  auto is_op = [](std::string_view l) {
    l = trim(l);
    return starts_with(l, kAdd) || starts_with(l, kDelete) || starts_with(l, kUpdate) || l == kEnd;
  };
  while (i < end) {
    std::string_view head = trim(lines[i]);
    FileOp op;
    op.patch_line = line_no(i);
    if (starts_with(head, kAdd)) {
      op.kind = FileOp::Kind::add;
      op.path = std::string(trim(head.substr(kAdd.size())));
      ++i;
      while (i < end && !is_op(lines[i])) {
        if (lines[i].empty() || lines[i][0] != '+') {
          r.error = at_line(line_no(i)) + "every line of an added file must start with `+` (in `" +
                    op.path + "`)";
          return r;
        }
        op.contents += lines[i].substr(1);
        op.contents += '\n';
        ++i;
      }
    } else if (starts_with(head, kDelete)) {
      op.kind = FileOp::Kind::remove;
      op.path = std::string(trim(head.substr(kDelete.size())));
      ++i;
    } else if (starts_with(head, kUpdate)) {
      op.kind = FileOp::Kind::update;
      op.path = std::string(trim(head.substr(kUpdate.size())));
      ++i;
      if (i < end && starts_with(trim(lines[i]), kMove)) {
        op.move_to = std::string(trim(trim(lines[i]).substr(kMove.size())));
        ++i;
      }
      while (i < end && !is_op(lines[i])) {
        Chunk chunk;
        chunk.patch_line = line_no(i);
        std::string_view l = lines[i];
        if (trim(l) == "@@") {
          ++i;
        } else if (starts_with(trim(l), "@@ ")) {
          chunk.context = std::string(trim(trim(l).substr(3)));
          ++i;
        } else if (!op.chunks.empty()) {
          r.error = at_line(line_no(i)) + "expected a chunk starting with `@@` in `" + op.path +
                    "`, got `" + std::string(l) + "`";
          return r;
        }
        std::size_t body_start = i;
        while (i < end && !is_op(lines[i]) && !starts_with(trim(lines[i]), "@@")) {
          const std::string& bl = lines[i];
          if (trim(bl) == kEof) {
            chunk.end_of_file = true;
            ++i;
            break;
          }
          if (bl.empty()) {
            chunk.old_lines.emplace_back();
            chunk.new_lines.emplace_back();
          } else if (bl[0] == ' ') {
            chunk.old_lines.push_back(bl.substr(1));
            chunk.new_lines.push_back(bl.substr(1));
          } else if (bl[0] == '-') {
            chunk.old_lines.push_back(bl.substr(1));
          } else if (bl[0] == '+') {
            chunk.new_lines.push_back(bl.substr(1));
          } else {
            r.error = at_line(line_no(i)) + "a chunk line must start with ` `, `-` or `+` (in `" +
                      op.path + "`), got `" + bl + "`";
            return r;
          }
          ++i;
        }
        if (i == body_start && !chunk.end_of_file) {
          r.error = at_line(chunk.patch_line) + "empty chunk in `" + op.path + "`";
          return r;
        }
        op.chunks.push_back(std::move(chunk));
      }
      if (op.chunks.empty() && !op.move_to) {
        r.error = at_line(op.patch_line) + "`*** Update File: " + op.path + "` has no changes";
        return r;
      }
    } else {
      r.error = at_line(line_no(i)) + "expected `*** Add File: `, `*** Delete File: `, "
                "`*** Update File: ` or `*** End Patch`, got `" + std::string(lines[i]) + "`";
      return r;
    }
    if (op.path.empty()) {
      r.error = at_line(op.patch_line) + "missing file path";
      return r;
    }
    r.ops.push_back(std::move(op));
  }
  if (r.ops.empty()) r.error = "the patch contains no file operations";
  return r;
}

ApplyText apply_chunks(const std::string& original, const std::vector<Chunk>& chunks,
                       const std::string& path) {
  ApplyText out;
  std::vector<std::string> lines = split_lines(original);
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the final newline

  struct Replacement {
    std::size_t start, old_len;
    std::vector<std::string> lines;
  };
  std::vector<Replacement> reps;
  std::size_t cursor = 0;
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    const Chunk& chunk = chunks[c];
    std::string where = "`" + path + "`, chunk " + std::to_string(c + 1) + " (patch line " +
                        std::to_string(chunk.patch_line) + ")";
    if (chunk.context) {
      auto at = seek(lines, {*chunk.context}, cursor, false);
      if (!at) {
        out.error = where + ": context line `@@ " + *chunk.context + "` not found in the file" +
                    (cursor ? " after line " + std::to_string(cursor) : std::string()) + ".";
        return out;
      }
      cursor = *at + 1;
    }
    if (chunk.old_lines.empty()) {  // pure addition: at the end of the file
      reps.push_back({lines.size(), 0, chunk.new_lines});
      continue;
    }
    std::vector<std::string> pattern = chunk.old_lines;
    std::vector<std::string> replacement = chunk.new_lines;
    auto at = seek(lines, pattern, cursor, chunk.end_of_file);
    if (!at && pattern.back().empty()) {
      // A trailing empty line in the chunk usually stands for the file's final newline.
      pattern.pop_back();
      if (!replacement.empty() && replacement.back().empty()) replacement.pop_back();
      at = seek(lines, pattern, cursor, chunk.end_of_file);
    }
    if (!at) {
      std::string expected;
      for (const auto& l : chunk.old_lines) expected += "\n  " + l;
      out.error = where + ": the lines to replace were not found" +
                  (cursor ? " after line " + std::to_string(cursor) : std::string()) +
                  ". Expected:" + expected + "\n" + closest_mismatch(lines, chunk.old_lines) +
                  " Re-read the file and send the patch again with its exact current lines.";
      return out;
    }
    reps.push_back({*at, pattern.size(), std::move(replacement)});
    cursor = *at + pattern.size();
  }
  std::stable_sort(reps.begin(), reps.end(),
                   [](const Replacement& a, const Replacement& b) { return a.start < b.start; });
  for (std::size_t k = 1; k < reps.size(); ++k)
    if (reps[k].start < reps[k - 1].start + reps[k - 1].old_len) {
      out.error = "`" + path + "`: two chunks change overlapping lines.";
      return out;
    }
  for (auto it = reps.rbegin(); it != reps.rend(); ++it) {
    lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(it->start),
                lines.begin() + static_cast<std::ptrdiff_t>(it->start + it->old_len));
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(it->start), it->lines.begin(),
                 it->lines.end());
  }
  for (const auto& l : lines) {
    out.contents += l;
    out.contents += '\n';
  }
  return out;
}

}  // namespace ossa::tools::patch
