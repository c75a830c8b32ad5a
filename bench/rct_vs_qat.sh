#!/usr/bin/env bash
# Reproduces docs/rct-vs-qat.md: fp32, QAT and RCT training of ResNet-20 and the MLP on the
# default platform, side by side. Usage: bench/rct_vs_qat.sh [build dir] [output dir]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
out="${2:-$(mktemp -d)}"
edgesim="$build/sim/app/edgesim"
# QAT at 8 bits keeps an FP32 master and an 8-bit copy; RCT keeps 8-bit weights only.
common=(--schemes fp32,qat,rct --set workload.precision.w_bits=8 --set workload.precision.a_bits=8
        --set workload.precision.g_bits=8 --set training.optimizer=sgd)
"$edgesim" compare --workload resnet20 "${common[@]}" --out "$out/resnet20"
"$edgesim" compare --workload mlp "${common[@]}" --out "$out/mlp"
echo "results in $out"
