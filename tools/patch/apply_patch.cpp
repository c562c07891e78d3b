#include "tools/patch/apply_patch.hpp"

#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <system_error>

#include "tools/arguments.hpp"
#include "tools/patch/patch.hpp"

namespace ossa::tools {
namespace {

namespace fs = std::filesystem;

struct Resolved {
  fs::path host;    // absolute path on the host, inside the workspace
  std::string rel;  // as shown to the model
  std::string error;
};

// Confines `written` to the workspace: lexically (no `..` above the root), then physically
// (symlinks in the existing part of the path must not lead out).
Resolved confine(const fs::path& root_canonical, const std::string& written) {
  Resolved r;
  fs::path p(written);
  if (written.empty()) {
    r.error = "empty path";
    return r;
  }
  if (p.is_absolute()) {
    fs::path rel = p.lexically_normal().lexically_relative(root_canonical);
    if (rel.empty() || *rel.begin() == "..") {
      r.error = "`" + written + "` is outside the workspace; use a path relative to it";
      return r;
    }
    p = rel;
  }
  fs::path norm = p.lexically_normal();
  if (norm.empty() || norm == "." || *norm.begin() == "..") {
    r.error = "`" + written + "` is outside the workspace";
    return r;
  }
  std::error_code ec;
  fs::path host = fs::weakly_canonical(root_canonical / norm, ec);
  if (ec) {
    r.error = "`" + written + "`: " + ec.message();
    return r;
  }
  fs::path rel = host.lexically_relative(root_canonical);
  if (rel.empty() || *rel.begin() == "..") {
    r.error = "`" + written + "` leads outside the workspace (through a symbolic link)";
    return r;
  }
  r.host = host;
  r.rel = norm.generic_string();
  return r;
}

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes through a temporary file in the same directory and renames it over the target, so a
// reader never sees half a file.
std::string write_file(const fs::path& p, const std::string& contents) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  if (ec) return "cannot create " + p.parent_path().filename().string() + ": " + ec.message();
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  fs::path tmp = p.parent_path() / ("." + p.filename().string() + ".ossa-" + std::to_string(rng()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      return "cannot write " + p.filename().string();
    }
  }
  // Keep the mode of a file being replaced (an executable script stays executable).
  if (auto st = fs::status(p, ec); !ec && fs::exists(st)) fs::permissions(tmp, st.permissions(), ec);
  fs::rename(tmp, p, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return "cannot replace " + p.filename().string();
  }
  return {};
}

struct Planned {
  std::string rel;
  fs::path host;
  std::optional<std::string> before;  // nullopt: did not exist
  std::optional<std::string> after;   // nullopt: deleted
};

class ApplyPatchTool final : public Tool {
 public:
  ApplyPatchTool() {
    spec_.ns = "functions";
    spec_.name = "apply_patch";
    spec_.description =
        "Patch files in the workspace: add, delete, update (with hunks) or move files. The body "
        "is the patch text itself, in the format described in the instructions.";
    spec_.parameters = Json{{"type", "string"},
                            {"description", "The patch, from `*** Begin Patch` to `*** End Patch`."},
                            {"default", "*** Begin Patch\n*** End Patch\n"}};
    spec_.body = BodyKind::text;
    spec_.needs_approval = true;
  }
  const ToolSpec& spec() const override { return spec_; }

  std::string instructions() const override {
    return "## Editing files with apply_patch\n\n"
           "Send a patch to `functions.apply_patch`. The whole patch sits between `*** Begin "
           "Patch` and `*** End Patch`, one line each, and holds one or more file operations:\n"
           "- `*** Add File: <path>` followed by the new file's lines, each starting with `+`.\n"
           "- `*** Delete File: <path>` with nothing after it.\n"
           "- `*** Update File: <path>`, optionally followed by `*** Move to: <new path>`, then "
           "one or more chunks. A chunk starts with `@@` (optionally `@@ <a line to locate "
           "first, such as a function or class header>`); its lines start with a space "
           "(unchanged context), `-` (line removed) or `+` (line added). Give about three "
           "lines of context around each change so the place is unambiguous; end a chunk that "
           "touches the end of the file with `*** End of File`.\n"
           "Paths are relative to the workspace. The patch applies entirely or not at all; on "
           "an error nothing changed, so fix the patch and send it again.\n\n"
           "Example:\n"
           "*** Begin Patch\n*** Add File: notes/todo.txt\n+write tests\n"
           "*** Update File: src/app.py\n@@ def greet():\n-    print(\"Hi\")\n+    print(\"Hello\")\n"
           "*** Delete File: old.txt\n*** End Patch";
  }

  boost::asio::awaitable<ToolResult> invoke(const ToolCall& call, ToolContext& ctx) override {
    std::string text = unwrap_text_body(call.body, {"input", "patch", "diff", "content"});
    PatchReport r = apply_patch(ctx.workspace, text);
    Json meta{{"added", r.added}, {"modified", r.modified}, {"deleted", r.deleted}};
    co_return r.ok ? ToolResult::success(r.message, meta) : ToolResult::failure(r.message, meta);
  }

 private:
  ToolSpec spec_;
};

}  // namespace

PatchReport apply_patch(const fs::path& workspace, std::string_view patch_text) {
  PatchReport report;
  auto fail = [&](const std::string& why) {
    report = PatchReport{};
    report.message = "Error applying patch: " + why + "\nNo files were changed.";
    return report;
  };
  std::error_code ec;
  fs::path root = fs::canonical(workspace, ec);
  if (ec || !fs::is_directory(root)) return fail("the workspace `" + workspace.string() + "` is not a directory");

  patch::ParseResult parsed = patch::parse(patch_text);
  if (!parsed.ok()) return fail("invalid patch: " + parsed.error);

  // Plan: the final state of every touched path, computed in memory in patch order (a later
  // operation sees the result of an earlier one on the same file).
  std::map<std::string, Planned> plan;
  std::vector<std::string> order;
  auto state = [&](const Resolved& res) -> Planned& {
    auto it = plan.find(res.rel);
    if (it != plan.end()) return it->second;
    Planned p{res.rel, res.host, std::nullopt, std::nullopt};
    if (fs::is_regular_file(res.host, ec)) p.before = read_file(res.host);
    p.after = p.before;
    order.push_back(res.rel);
    return plan.emplace(res.rel, std::move(p)).first->second;
  };
  for (const patch::FileOp& op : parsed.ops) {
    std::string where = "line " + std::to_string(op.patch_line) + ": ";
    Resolved res = confine(root, op.path);
    if (!res.error.empty()) return fail(where + res.error);
    if (fs::is_directory(res.host, ec)) return fail(where + "`" + res.rel + "` is a directory");
    if (fs::exists(res.host, ec) && !fs::is_regular_file(res.host, ec))
      return fail(where + "`" + res.rel + "` is not a regular file");
    Planned& target = state(res);
    switch (op.kind) {
      case patch::FileOp::Kind::add:
        target.after = op.contents;
        report.added.push_back(res.rel);
        break;
      case patch::FileOp::Kind::remove:
        if (!target.after) return fail(where + "cannot delete `" + res.rel + "`: no such file");
        target.after.reset();
        report.deleted.push_back(res.rel);
        break;
      case patch::FileOp::Kind::update: {
        if (!target.after) return fail(where + "cannot update `" + res.rel + "`: no such file");
        patch::ApplyText applied = patch::apply_chunks(*target.after, op.chunks, res.rel);
        if (!applied.error.empty()) return fail(applied.error);
        if (op.move_to) {
          Resolved dest = confine(root, *op.move_to);
          if (!dest.error.empty()) return fail(where + "Move to: " + dest.error);
          if (fs::is_directory(dest.host, ec)) return fail(where + "`" + dest.rel + "` is a directory");
          Planned& moved = state(dest);
          Planned& source = plan.at(res.rel);  // state() may have rehashed nothing (std::map)
          moved.after = std::move(applied.contents);
          if (dest.rel != res.rel) source.after.reset();
          report.modified.push_back(res.rel + " -> " + dest.rel);
        } else {
          target.after = std::move(applied.contents);
          report.modified.push_back(res.rel);
        }
        break;
      }
    }
  }

  // Commit, undoing everything already done if one step fails.
  std::vector<const Planned*> done;
  auto restore = [&] {
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
      const Planned& p = **it;
      if (p.before) write_file(p.host, *p.before);
      else fs::remove(p.host, ec);
    }
  };
  for (const std::string& rel : order) {
    const Planned& p = plan.at(rel);
    if (p.before == p.after) continue;
    std::string err;
    if (p.after) {
      err = write_file(p.host, *p.after);
    } else if (!fs::remove(p.host, ec) || ec) {
      err = "cannot delete " + p.rel + (ec ? ": " + ec.message() : "");
    }
    if (!err.empty()) {
      restore();
      return fail(err);
    }
    done.push_back(&p);
  }

  report.ok = true;
  std::string summary = "Done! Applied the patch:";
  for (const auto& a : report.added) summary += "\nA " + a;
  for (const auto& m : report.modified) summary += "\nM " + m;
  for (const auto& d : report.deleted) summary += "\nD " + d;
  report.message = summary;
  return report;
}

std::shared_ptr<Tool> make_apply_patch_tool() { return std::make_shared<ApplyPatchTool>(); }

}  // namespace ossa::tools
