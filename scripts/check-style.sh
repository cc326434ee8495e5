#!/usr/bin/env bash
# Style checks run by .ci/run before the tests (STYLE.md): every Swift file is formatted as
# `swift format` formats it with the project's .swift-format (2-space indents, 120 columns), and no
# line of code (Swift, OpenCL C, shell, Python) is longer than 120 characters. Fix formatting with
#   swift format format --in-place --recursive Sources Tests benchmarks Plugins Package.swift
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
swift format lint --strict --recursive Sources Tests benchmarks Plugins Package.swift || status=1
# Characters, not bytes: comments hold ·, ², √ and the like.
files=$(git ls-files '*.swift' '*.cl' '*.sh' '*.py' .ci/run)
# shellcheck disable=SC2086
if LC_ALL=C.UTF-8 grep -nE '^.{121,}' $files; then
  echo "check-style: the lines above are longer than 120 characters" >&2
  status=1
fi
[ "$status" = 0 ] && echo "style: swift format clean, no line over 120 characters"
exit "$status"
