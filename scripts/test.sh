#!/usr/bin/env bash
# Sets up everything (packages, npm deps, build) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx eslint .
node scripts/test.mjs dist/src dist/test
