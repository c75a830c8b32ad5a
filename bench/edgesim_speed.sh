#!/usr/bin/env bash
# Wall time of whole edgesim processes (start-up, parsing, simulation, reports), median of N
# runs each. Usage: bench/edgesim_speed.sh [build dir] [runs]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
runs="${2:-7}"
edgesim="$build/sim/app/edgesim"
data="$root/tests/unit/scalesim_data"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

measure() {
  local name="$1"; shift
  for i in $(seq "$runs"); do
    rm -rf "$scratch/out"
    local start end
    start=$(date +%s.%N)
    "$edgesim" "$@" -q --out "$scratch/out" >/dev/null
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
  done | median | xargs printf "%-58s median %.4f s over $runs runs\n" "$name"
}

measure "default run (edge_npu, tiny_cnn)" run
measure "ResNet-18, SCALE-Sim ws 32x32 config, reports" run --scalesim-config "$data/google_ws_32x32.cfg" \
  --topology "$data/topology_resnet18.csv" --report scalesim
measure "AlexNet, SCALE-Sim ws 32x32 config, reports" run --scalesim-config "$data/google_ws_32x32.cfg" \
  --topology "$data/topology_alexnet.csv" --report scalesim
measure "ResNet-18 inference, full memory system (edge_npu)" run --workload resnet18
measure "ResNet-20 training iteration, rct (edge_npu)" run --workload resnet20 --scheme rct
measure "tt_mlp inference, batch 1 (tt_edge)" run --platform tt_edge --workload tt_mlp \
  --set workload.batch=1
measure "tt_mlp fp32 training, 600 iterations, rank schedule" run --platform tt_edge \
  --workload tt_mlp --scheme fp32 --set workload.batch=1 \
  --rank-schedule "$root/examples/tensorized/mlp_rank_schedule.csv"
measure "LeNet-5 batch 1, pipelined (ull_z7020)" run --platform ull_z7020 --workload lenet5 \
  --set workload.batch=1
measure "LeNet-5, 100,000 frames streamed, pipelined" run --platform ull_z7020 --workload lenet5 \
  --set workload.batch=1 --set accelerator.pipeline.frames=100000
