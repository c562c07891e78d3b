#include "tools/patch/apply_patch.hpp"

#include <unistd.h>

#include <map>
#include <optional>
#include <system_error>

#include "tools/arguments.hpp"
#include "tools/fs/dir_fd.hpp"
#include "tools/patch/patch.hpp"

namespace ossa::tools {
namespace {

namespace fs = std::filesystem;

// The largest file apply_patch reads to patch.
constexpr std::size_t kMaxFileBytes = 256u << 20;

struct Resolved {
  std::string rel;  // plain relative path: what DirFd resolves beneath the workspace
  std::string error;
};

// Turns what the model wrote into a path relative to the workspace, lexically (no `..` above
// the root). Links are the DirFd's business: it refuses them at the moment of each operation,
// so no check here can be raced.
Resolved confine(const fs::path& root, const std::string& written) {
  Resolved r;
  fs::path p(written);
  if (written.empty()) {
    r.error = "empty path";
    return r;
  }
  if (p.is_absolute()) {
    fs::path rel = p.lexically_normal().lexically_relative(root);
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
  std::string rel = norm.generic_string();
  while (!rel.empty() && rel.back() == '/') rel.pop_back();
  if (std::string why = check_relative(rel); !why.empty()) {
    r.error = why;
    return r;
  }
  r.rel = std::move(rel);
  return r;
}

struct Planned {
  std::string rel;
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
  fs::path root_path = fs::canonical(workspace, ec);
  std::string open_error;
  std::optional<DirFd> root_dir = ec ? std::nullopt : DirFd::open(root_path, &open_error);
  if (!root_dir) return fail("the workspace `" + workspace.string() + "` is not a directory");
  const DirFd& root = *root_dir;

  patch::ParseResult parsed = patch::parse(patch_text);
  if (!parsed.ok()) return fail("invalid patch: " + parsed.error);

  // Plan: the final state of every touched path, computed in memory in patch order (a later
  // operation sees the result of an earlier one on the same file).
  std::map<std::string, Planned> plan;
  std::vector<std::string> order;
  // What is at `rel` now; "" when it is a regular file or missing (then *contents says which).
  auto inspect = [&](const std::string& rel, std::optional<std::string>* contents) -> std::string {
    std::string err;
    std::optional<FileInfo> info = root.stat(rel, &err);
    if (!info) return err;
    switch (info->kind) {
      case FileInfo::Kind::missing: return {};
      case FileInfo::Kind::directory: return "`" + rel + "` is a directory";
      case FileInfo::Kind::symlink:
        return "`" + rel + "` is a symbolic link, which apply_patch does not follow";
      case FileInfo::Kind::other: return "`" + rel + "` is not a regular file";
      case FileInfo::Kind::regular: break;
    }
    *contents = root.read_file(rel, kMaxFileBytes, &err);
    return *contents ? std::string() : err;
  };
  std::string state_error;
  auto state = [&](const Resolved& res) -> Planned* {
    auto it = plan.find(res.rel);
    if (it != plan.end()) return &it->second;
    Planned p{res.rel, std::nullopt, std::nullopt};
    state_error = inspect(res.rel, &p.before);
    if (!state_error.empty()) return nullptr;
    p.after = p.before;
    order.push_back(res.rel);
    return &plan.emplace(res.rel, std::move(p)).first->second;
  };
  for (const patch::FileOp& op : parsed.ops) {
    std::string where = "line " + std::to_string(op.patch_line) + ": ";
    Resolved res = confine(root_path, op.path);
    if (!res.error.empty()) return fail(where + res.error);
    Planned* target_state = state(res);
    if (!target_state) return fail(where + state_error);
    Planned& target = *target_state;
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
          Resolved dest = confine(root_path, *op.move_to);
          if (!dest.error.empty()) return fail(where + "Move to: " + dest.error);
          Planned* moved_state = state(dest);
          if (!moved_state) return fail(where + "Move to: " + state_error);
          Planned& moved = *moved_state;
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
      if (p.before) root.write_file(p.rel, *p.before);
      else root.remove_file(p.rel);
    }
  };
  for (const std::string& rel : order) {
    const Planned& p = plan.at(rel);
    if (p.before == p.after) continue;
    std::string err;
    err = p.after ? root.write_file(p.rel, *p.after) : root.remove_file(p.rel);
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
