#pragma once
// The patch language of Codex / gpt-oss's apply_patch, parsed into file operations.
//
//   *** Begin Patch
//   *** Add File: path            then lines "+text" (the new file)
//   *** Delete File: path
//   *** Update File: path         optionally "*** Move to: new/path", then chunks:
//   @@ optional context line      (the first chunk may omit its "@@")
//    context / -removed / +added  lines; "*** End of File" anchors the chunk at the end
//   *** End Patch
//
// Parsing is lenient where models are sloppy (whitespace around markers, CRLF, a heredoc
// wrapper `<<'EOF' ... EOF`, a blank line inside a chunk read as an empty context line) and
// strict elsewhere; errors name the patch line.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ossa::tools::patch {

struct Chunk {
  std::optional<std::string> context;  // the "@@ text" line: seek to it first
  std::vector<std::string> old_lines;  // context + removed lines, in order
  std::vector<std::string> new_lines;  // context + added lines, in order
  bool end_of_file = false;
  int patch_line = 0;  // 1-based line of the chunk in the patch
};

struct FileOp {
  enum class Kind { add, remove, update } kind = Kind::add;
  std::string path;
  std::optional<std::string> move_to;  // update only
  std::string contents;                // add only (ends with a newline)
  std::vector<Chunk> chunks;           // update only
  int patch_line = 0;
};

struct ParseResult {
  std::vector<FileOp> ops;
  std::string error;  // non-empty when the patch is malformed
  bool ok() const { return error.empty(); }
};

ParseResult parse(std::string_view text);

// The new content of a file after applying `chunks` to `original`, or an error naming the
// chunk and the first line that does not match (`path` is for messages).
struct ApplyText {
  std::string contents;
  std::string error;
};
ApplyText apply_chunks(const std::string& original, const std::vector<Chunk>& chunks,
                       const std::string& path);

}  // namespace ossa::tools::patch
