#!/usr/bin/env bash
# Batch-1 latency of the same network on the systolic overlay (fpga_systolic) and on the
# layer-pipelined design (ull_z7020), both on the Zynq-7020 device class at 200 MHz
# (docs/ull.md, issue 11 item 5). Also: FIFO depth vs interval on the pipelined design, and the
# simulation speed of the pipelined model (median wall time of N runs streaming many frames).
# Usage: bench/ull_vs_systolic.sh [build dir] [runs]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
runs="${2:-5}"
edgesim="$build/sim/app/edgesim"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# One figure of a summary.json: a dotted path into it ("pipeline.latency_cycles").
figure() {
  python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d = d[k]
print(d)' "$1" "$2"
}

run() {  # run NAME ARGS...: one edgesim run into $scratch/NAME
  local name="$1"; shift
  rm -rf "$scratch/$name"
  "$edgesim" run -q --set workload.batch=1 --out "$scratch/$name" "$@"
}

echo "== batch-1 latency, systolic overlay vs layer pipeline (200 MHz, xc7z020 class)"
printf "%-10s %-6s %14s %12s %14s %12s %8s  %s\n" workload bits systolic_cyc systolic_us \
  pipelined_cyc pipelined_us speedup "pipelined resources (LUT/DSP/BRAM36)"
for workload in lenet5 mlp tiny_cnn resnet20; do
  for bits in 8 4 2; do
    precision=(--set workload.precision.w_bits=$bits --set workload.precision.a_bits=$bits)
    run sys --platform fpga_systolic --workload "$workload" "${precision[@]}"
    run pipe --platform ull_z7020 --workload "$workload" "${precision[@]}"
    sys_cycles=$(figure "$scratch/sys/summary.json" total_cycles)
    sys_ns=$(figure "$scratch/sys/summary.json" simulated_ns)
    if [ "$(figure "$scratch/pipe/summary.json" feasible)" != "True" ]; then
      printf "%-10s %-6s %14s %12.2f %14s\n" "$workload" "$bits" "$sys_cycles" \
        "$(awk -v n="$sys_ns" 'BEGIN{print n/1000}')" "infeasible"
      continue
    fi
    pipe_cycles=$(figure "$scratch/pipe/summary.json" pipeline.latency_cycles)
    pipe_ns=$(figure "$scratch/pipe/summary.json" pipeline.latency_ns)
    used="$(figure "$scratch/pipe/summary.json" pipeline.used.luts)/$(figure "$scratch/pipe/summary.json" pipeline.used.dsps)/$(awk -v b="$(figure "$scratch/pipe/summary.json" pipeline.used.bram_bits)" 'BEGIN{printf "%.1f", b/36864}')"
    awk -v w="$workload" -v b="$bits" -v sc="$sys_cycles" -v sn="$sys_ns" -v pc="$pipe_cycles" \
      -v pn="$pipe_ns" -v u="$used" \
      'BEGIN { printf "%-10s %-6s %14d %12.2f %14d %12.2f %7.1fx  %s\n", w, b, sc, sn/1000, pc, pn/1000, sn/pn, u }'
  done
done

echo
echo "== FIFO depth (rows) vs interval, lenet5 8-bit, 64 frames back to back"
printf "%-6s %10s %12s %16s\n" depth interval latency fifo_full_stalls
for depth in 1 2 4 8; do
  run fifo --platform ull_z7020 --workload lenet5 --set accelerator.pipeline.frames=64 \
    --set accelerator.pipeline.fifo_depth_rows=$depth
  printf "%-6s %10s %12s %16s\n" "$depth" \
    "$(figure "$scratch/fifo/summary.json" pipeline.interval_cycles)" \
    "$(figure "$scratch/fifo/summary.json" pipeline.latency_cycles)" \
    "$(figure "$scratch/fifo/summary.json" pipeline.fifo_full_stall_cycles)"
done

echo
echo "== simulation speed of the pipelined model (lenet5, 100000 frames), median of $runs runs"
for i in $(seq "$runs"); do
  run speed --platform ull_z7020 --workload lenet5 --set accelerator.pipeline.frames=100000
  figure "$scratch/speed/summary.json" sim_wall_seconds
done | sort -n | awk '{a[NR]=$1} END {m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2;
  printf "wall %.3f s, %.0f simulated frames per second\n", m, 100000 / m}'
