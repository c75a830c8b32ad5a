#!/bin/bash
# Sweep benchmarks (issue 7): figures for docs/performance.md.
#   1. a 200-point sweep of ResNet-20 inference over arrays and buffers, --jobs 2: wall time,
#      per-point wall time, and the runner's own overhead;
#   2. per-point process start-up: `edgesim --version` (exec, dynamic loading, static init)
#      and a whole `edgesim run` of the smallest workload;
#   3. scale: a 1,000,000-point sample listed per shard, and 1,000,000 result rows in 4 shards
#      merged, with peak memory (the points are never all held in memory).
# usage: bench/sweep_bench.sh [EDGESIM_BINARY] [REPEATS]   (default build/sim/app/edgesim, 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
edgesim=$(realpath "${1:-$root/build/sim/app/edgesim}")
repeats=${2:-3}
work=$(mktemp -d /tmp/edgesim-sweep-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

cat >"$work/sweep200.yaml" <<YAML
# 5 square arrays x 5 weight buffers x 4 input buffers x 2 dataflows = 200 points.
base: {platform: edge_npu, workload: resnet20, set: {workload.batch: 1}}
axes:
  - {key: accelerator.pe_array.rows, values: [4, 8, 16, 32, 64], zip: array}
  - {key: accelerator.pe_array.cols, values: [4, 8, 16, 32, 64], zip: array}
  - {key: accelerator.sram.weight_bytes, log_range: {from: 8192, to: 131072, factor: 2}}
  - {key: accelerator.sram.ifmap_bytes, log_range: {from: 16384, to: 131072, factor: 2}}
  - {key: accelerator.pe_array.dataflow, values: [os, ws]}
objectives:
  - {minimize: total_cycles}
  - {minimize: energy_pj.total}
  - {minimize: pe_count}
YAML

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== 200-point ResNet-20 sweep, --jobs 2 (median of $repeats)"
for i in $(seq 1 "$repeats"); do
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$work/rusage" "$edgesim" sweep "$work/sweep200.yaml" --jobs 2 \
    --no-progress --out "$work/run$i" >/dev/null
  end=$(date +%s.%N)
  python3 - "$work/run$i/results.jsonl" "$start" "$end" "$work/rusage" <<'PY' >>"$work/sweep.txt"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
wall = float(sys.argv[3]) - float(sys.argv[2])
point = sorted(r["wall_seconds"] for r in rows)
busy = sum(point) / 2  # two workers
ok = sum(r["status"] == "ok" for r in rows)
print(f"{wall:.3f} {point[len(point)//2]:.4f} {max(0.0, wall - busy) / wall * 100:.2f} {len(rows)} {ok}")
PY
done
read -r wall point overhead rows ok <<<"$(sort -g "$work/sweep.txt" | awk -v n="$repeats" 'NR==int((n+1)/2)')"
echo "points: $rows ($ok ok); wall: $wall s; median point (process start to exit): $point s"
echo "runner overhead (wall - sum(point wall)/jobs, share of wall): $overhead %"

# The runner's own CPU: one sweep with the points replaced by a worker that exits at once
# would measure spawn cost only; instead report the parent's CPU share of the real sweep.
python3 - "$work/run1/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
sim = sorted(r["figures"].get("sim_wall_seconds", 0) for r in rows)
pt = sorted(r["wall_seconds"] for r in rows)
print(f"median in-process run time (summary sim_wall_seconds): {sim[len(sim)//2]:.4f} s; "
      f"process start-up and exit per point: {pt[len(pt)//2] - sim[len(sim)//2]:.4f} s")
PY

echo "== per-point process start-up (median of 20)"
for i in $(seq 1 20); do
  s=$(date +%s%N); "$edgesim" --version >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000 ))
done | median | awk '{printf "edgesim --version: %.1f ms\n", $1/1000}'
for i in $(seq 1 20); do
  rm -rf "$work/one"
  s=$(date +%s%N); "$edgesim" run --workload tiny_cnn --out "$work/one" -q; e=$(date +%s%N)
  echo $(( (e - s) / 1000 ))
done | median | awk '{printf "edgesim run tiny_cnn (whole process): %.1f ms\n", $1/1000}'

echo "== 1,000,000-point space: sample, shard, merge"
cat >"$work/big.yaml" <<YAML
base: {platform: edge_npu, workload: tiny_cnn}
axes:
  - {key: accelerator.pe_array.rows, range: {from: 1, to: 256, step: 1}}
  - {key: accelerator.pe_array.cols, range: {from: 1, to: 256, step: 1}}
  - {key: accelerator.sram.weight_bytes, log_range: {from: 1024, to: 4194304, count: 64}}
  - {key: accelerator.pe_array.dataflow, values: [os, ws, is]}
sample: {method: latin_hypercube, count: 1000000, seed: 1}
constraints: ["pe_count <= 16384"]
objectives:
  - {minimize: total_cycles}
  - {minimize: pe_count}
YAML
/usr/bin/time -f "%e %M" -o "$work/list.time" "$edgesim" sweep "$work/big.yaml" --list \
  --shard 0/4 >"$work/list.txt" 2>/dev/null
read -r list_s list_kb <"$work/list.time"
echo "--list --shard 0/4 of a 1,000,000-point Latin hypercube: $(wc -l <"$work/list.txt") points in" \
  "$list_s s, peak RSS $((list_kb / 1024)) MiB"
# Synthetic results (the scale of the files, not simulations): 4 shards of 250,000 rows.
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
for s in range(4):
    d = f"{work}/big/shards/shard-{s}"
    os.makedirs(d)
    with open(f"{d}/results.jsonl", "w") as f:
        n = 0
        for p in range(s, 1000000, 4):
            rows = 1 + p % 256
            cols = 1 + (p // 256) % 256
            f.write(json.dumps({"point": p, "status": "ok", "reason": "", "config_hash": f"{p:016x}",
                "wall_seconds": 0.05, "params": {"accelerator.pe_array.rows": rows,
                "accelerator.pe_array.cols": cols}, "figures": {"feasible": True,
                "total_cycles": 10**9 // (rows * cols) + p % 1000, "pe_count": rows * cols}},
                separators=(",", ":")) + "\n")
            n += 1
    meta = {"sweep_id": "synthetic", "sweep_file": "big.yaml", "space_size": 1000000,
            "shard": f"{s}/4", "points": n, "complete": True,
            "axes": [{"key": "accelerator.pe_array.rows", "log": False},
                     {"key": "accelerator.pe_array.cols", "log": False}],
            "objectives": [{"figure": "total_cycles", "sense": "minimize"},
                           {"figure": "pe_count", "sense": "minimize"}]}
    json.dump(meta, open(f"{d}/sweep.json", "w"))
PY
/usr/bin/time -f "%e %M" -o "$work/merge.time" "$edgesim" sweep merge "$work"/big/shards/shard-* \
  >/dev/null
read -r merge_s merge_kb <"$work/merge.time"
echo "merge of 4 shards x 250,000 rows: $(($(wc -l <"$work/big/results.csv") - 1)) rows," \
  "$(($(wc -l <"$work/big/pareto.csv") - 1)) Pareto points in $merge_s s, peak RSS" \
  "$((merge_kb / 1024)) MiB (results.jsonl $(($(stat -c %s "$work/big/results.jsonl") / 1048576)) MiB)"
