#include "tools/builtins.hpp"

#include "tools/patch/apply_patch.hpp"
#include "tools/python/python_tool.hpp"
#include "tools/shell_tool.hpp"

namespace ossa::tools {

void add_builtin_tools(Registry& registry, const BuiltinOptions& options) {
  if (options.python) {
    registry.add(make_python_tool());
    registry.describe_namespace("python", python_namespace_description(options.python_timeout));
  }
  if (options.shell) {
    registry.add(make_shell_tool());
    registry.add_alias("container.exec", "functions.shell");
    registry.add_alias("functions.exec", "functions.shell");
    registry.add_alias("functions.bash", "functions.shell");
  }
  if (options.apply_patch) registry.add(make_apply_patch_tool());
}

}  // namespace ossa::tools
