#!/usr/bin/env bash
# Cost of tracing (issue 8), counted in instructions with valgrind's callgrind, which is
# repeatable on a noisy machine:
#   1. tracing off: instructions spent on the trace hooks' source lines (the `if (vcd_)`
#      branches and anything inside them) as a share of the whole run; target < 2%;
#   2. tracing on at layer, tile and cycle level (VCD + GTKWave save file + timeline): extra
#      instructions over the run with tracing off; target < 20% at layer level;
#   3. file size of trace.vcd for the full run, a window of a tenth of it, and a signal filter.
# Needs an edgesim built with line information (-g), for the per-line attribution of step 1:
#   cmake -S . -B build-g -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-g
#   cmake --build build-g --target edgesim
#   bench/trace_cost.sh build-g/sim/app/edgesim [workload] [extra edgesim args...]
set -euo pipefail

edgesim=${1:?usage: trace_cost.sh EDGESIM [WORKLOAD] [ARGS...]}
workload=${2:-tiny_cnn}
shift $(( $# >= 2 ? 2 : 1 ))
extra=("$@")
source_dir=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v valgrind > /dev/null || { echo "valgrind is not installed"; exit 1; }

# Total instructions (Ir) of one callgrind run of edgesim with the given extra arguments.
count() {
  local name=$1
  shift
  valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$work/$name.out" \
    "$edgesim" run -q --workload "$workload" "${extra[@]}" --out "$work/$name" "$@" \
    > "$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
  callgrind_annotate "$work/$name.out" 2> /dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}

off=$(count off)
layer=$(count layer --vcd --set trace.level=layer --set trace.timeline=true)
tile=$(count tile --vcd --set trace.level=tile --set trace.timeline=true)

# Step 1: per-line counts of the tracing-off run, summed over the hook lines of the models.
callgrind_annotate --auto=yes --show-percs=no --context=0 --threshold=100 "$work/off.out" 2> /dev/null > "$work/off.annotated" || true
hooks=$(python3 - "$work/off.annotated" "$source_dir" <<'EOF'
import re, sys
annotated, source_dir = sys.argv[1], sys.argv[2]
# Lines of the model sources that are trace hooks: a test of the writer pointer or a call on it.
hook = re.compile(r"\bif \(vcd_|vcd_->|\bvcd_\)|timeline\(\)")
total = 0
in_models = False
for line in open(annotated, errors="replace"):
    m = re.match(r"-- Auto-annotated source: (.*)", line)
    if m:
        in_models = re.search(r"(^|/)(models|platforms)/", m.group(1)) is not None
        continue
    if not in_models:
        continue
    m = re.match(r"\s*([0-9,]+|\.)\s+(.*)", line)
    if m and m.group(1) != "." and hook.search(m.group(2)):
        total += int(m.group(1).replace(",", ""))
print(total)
EOF
)

printf 'workload %s, edgesim %s\n' "$workload" "$edgesim"
printf 'instructions, tracing off:          %15s\n' "$off"
printf 'instructions in trace hooks (off):  %15s  (%.4f%% of the run; target < 2%%)\n' \
  "$hooks" "$(echo "100 * $hooks / $off" | bc -l)"
printf 'instructions, layer-level trace:    %15s  (+%.2f%%; target < 20%%)\n' \
  "$layer" "$(echo "100 * ($layer - $off) / $off" | bc -l)"
printf 'instructions, tile-level trace:     %15s  (+%.2f%%)\n' \
  "$tile" "$(echo "100 * ($tile - $off) / $off" | bc -l)"

# Step 3: file sizes (no valgrind).
"$edgesim" run -q --workload "$workload" "${extra[@]}" --vcd --out "$work/size_all"
end_ns=$(awk '/^#/ {t = substr($0, 2)} END {print int(t / 1000)}' "$work/size_all/trace.vcd")
"$edgesim" run -q --workload "$workload" "${extra[@]}" --vcd \
  --set "trace.window=0:$((end_ns / 10))" --out "$work/size_window"
"$edgesim" run -q --workload "$workload" "${extra[@]}" --vcd \
  --set 'trace.signals=[top.dma.*]' --out "$work/size_dma"
"$edgesim" run -q --workload "$workload" "${extra[@]}" --vcd --set trace.level=layer \
  --out "$work/size_layer"
for run in all window dma layer; do
  printf 'trace.vcd %-7s %10d bytes\n' "$run" "$(stat -c %s "$work/size_$run/trace.vcd")"
done
