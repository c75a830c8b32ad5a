#!/usr/bin/env bash
# The first command of the README: installs what is missing, builds, and runs the default
# platform (edge_npu) on the default workload (tiny_cnn). Extra arguments go to `edgesim run`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
cd "$root"
exec "$root/build/sim/app/edgesim" run "$@"
