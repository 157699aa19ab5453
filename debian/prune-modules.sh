#!/bin/sh
# Leaves out of the packaged node_modules what daqd never loads: build trees and C sources of the
# native modules, prebuilt binaries for other platforms, source maps, type declarations and
# read-me files. Licence files stay. Usage: prune-modules.sh APP_DIR
set -eu
cd "$1/node_modules"
platform=$(node -p 'process.platform + "-" + process.arch')

rm -rf .bin .package-lock.json

# better-sqlite3 is compiled here: only the module itself is loaded (build/Release/better_sqlite3.node).
mv better-sqlite3/build/Release/better_sqlite3.node better-sqlite3.node.keep
rm -rf better-sqlite3/build better-sqlite3/deps better-sqlite3/src
mkdir -p better-sqlite3/build/Release
mv better-sqlite3.node.keep better-sqlite3/build/Release/better_sqlite3.node

# classic-level ships prebuilt modules for many platforms; keep this one's (or the one compiled here).
for dir in classic-level/prebuilds/*; do
  [ "$(basename "$dir")" = "$platform" ] || rm -rf "$dir"
done
# Its binary for musl (Alpine) stands beside the glibc one.
rm -f classic-level/prebuilds/*/*.musl.node
if [ -d classic-level/build ]; then
  find classic-level/build -type f ! -name '*.node' -delete
fi
rm -rf classic-level/deps

find . -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
  -o -name '.npmignore' -o -name '.travis.yml' -o -name '.eslintrc*' -o -name '.editorconfig' \
  -o \( \( -iname '*.md' -o -iname '*.markdown' \) ! -iname 'licen*' ! -iname 'copying*' \) \) -delete
# Tests, benchmarks and examples of the modules, and their CI files: nothing daqd requires.
find . -type d \( -name test -o -name tests -o -name benchmarks -o -name example -o -name examples \
  -o -name .github \) -prune -exec rm -rf {} +
find . -type f \( -name '*.html' -o -name Makefile -o -name .gitattributes \) -delete
# npm keeps the modes of the tarballs; none of these files is run as a command.
chmod -R a-x,a+X .
find . -depth -type d -empty -delete
