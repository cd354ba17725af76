#!/usr/bin/env bash
# Compile-check aigate for Windows (x86_64-pc-windows-gnu) and macOS (aarch64-apple-darwin)
# from Linux: `cargo check --bins` and `cargo clippy --bins -- -D warnings` for each, so
# cfg(windows)/cfg(macos) code and the platform keychain crates are type-checked in CI.
#
# Installs what is missing (idempotent): the rustup targets; Debian's gcc-mingw-w64-x86-64
# (aws-lc-sys's C parts for Windows); PyPI's ziglang, whose `zig cc -target aarch64-macos`
# (through .ci/zig-cc-macos) compiles the C parts for macOS. Nothing is linked: check only.
# Builds go to target/cross/ so the host build is not invalidated. Prints the time taken.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)
say() { printf '\n==> %s\n' "$*"; }

sudo=
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo=sudo; fi

installed=$(rustup target list --installed)
for t in x86_64-pc-windows-gnu aarch64-apple-darwin; do
  grep -qx "$t" <<< "$installed" || { say "rustup target add $t"; rustup target add "$t"; }
done
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  say "installing gcc-mingw-w64-x86-64 (apt-get)"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-mingw-w64-x86-64 >/dev/null
fi
if ! python3 -m ziglang version >/dev/null 2>&1; then
  say "installing ziglang (pip)"
  python3 -m pip install --quiet --disable-pip-version-check ziglang
fi

export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
export AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar
export CC_aarch64_apple_darwin="$root/.ci/zig-cc-macos"
export AR_aarch64_apple_darwin="$root/.ci/zig-ar"
for t in x86_64-pc-windows-gnu aarch64-apple-darwin; do
  t0=$(date +%s)
  say "cargo check --bins --target $t"
  cargo check --locked --bins --target "$t" --target-dir target/cross
  say "cargo clippy --bins --target $t -- -D warnings"
  cargo clippy --locked --bins --target "$t" --target-dir target/cross -- -D warnings
  echo "$t: $(( $(date +%s) - t0 )) s"
done
say "cross checks done in $(( $(date +%s) - started )) s"
