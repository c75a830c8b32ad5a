#!/usr/bin/env bash
# Reproduces the table of docs/ull.md, "Ultra-low-bitwidth quantisers": LeNet-5 on Fashion-MNIST
# trained with QAT at 1, 2, 4 and 8 weight bits under the plain uniform and the uL2Q-style weight
# quantisers (binary is the 1-bit uniform point, ternary an extra 2-bit point), plus the fp32
# baseline; prints a markdown table.
# Usage: bench/ull_quant.sh [build dir] [output dir] [epochs] [train subset (0 = all 60000)]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
out="${2:-$(mktemp -d)}"
mkdir -p "$out"
epochs="${3:-10}"
subset="${4:-0}"
edgesim="$build/sim/app/edgesim"
[[ -x "$edgesim" ]] || { echo "ull_quant.sh: $edgesim not found (build the edgesim target)" >&2; exit 2; }

# Same options for every run; --scale float gives the uniform quantiser the step
# max|w| / (2^(b-1) - 1), so neither quantiser loses range to power-of-two rounding.
common=(--model lenet5 --epochs "$epochs" --train-subset "$subset" --scale float --seed 1)
# name|scheme options
runs=(
  "fp32|--scheme fp32"
  "binary-1|--scheme qat --w-quantizer binary --w-bits 1"
  "ul2q-1|--scheme qat --w-quantizer ul2q --w-bits 1"
  "uniform-2|--scheme qat --w-quantizer uniform --w-bits 2"
  "ternary-2|--scheme qat --w-quantizer ternary --w-bits 2"
  "ul2q-2|--scheme qat --w-quantizer ul2q --w-bits 2"
  "uniform-4|--scheme qat --w-quantizer uniform --w-bits 4"
  "ul2q-4|--scheme qat --w-quantizer ul2q --w-bits 4"
  "uniform-8|--scheme qat --w-quantizer uniform --w-bits 8"
  "ul2q-8|--scheme qat --w-quantizer ul2q --w-bits 8"
  # Activations quantised as well (the hardware's multiplier cost is w_bits x a_bits).
  "ul2q-1-a4|--scheme qat --w-quantizer ul2q --w-bits 1 --a-bits 4"
  "ul2q-2-a4|--scheme qat --w-quantizer ul2q --w-bits 2 --a-bits 4"
  "ul2q-4-a4|--scheme qat --w-quantizer ul2q --w-bits 4 --a-bits 4"
  "ul2q-2-a2|--scheme qat --w-quantizer ul2q --w-bits 2 --a-bits 2"
)

# Value of a top-level key of summary.json (one key per line).
field() { sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1/summary.json"; }

start_all=$(date +%s)
for run in "${runs[@]}"; do
  name="${run%%|*}"
  read -r -a options <<<"${run#*|}"
  start=$(date +%s)
  nice -n 10 "$edgesim" train "${common[@]}" "${options[@]}" --out "$out/$name" >"$out/$name.log"
  echo "$(($(date +%s) - start))" >"$out/$name.seconds"
  echo "$name: $(tail -1 "$out/$name.log")" >&2
done
total=$(($(date +%s) - start_all))

fp32_bits=$(field "$out/fp32" model_bits)
fp32_acc=$(field "$out/fp32" final_test_accuracy)
echo "| weights | bits per weight | activation bits | test accuracy | vs fp32 (points) | model size (bits) | compression vs fp32 | gradients zeroed by the STE | uL2Q step (sigmas) | wall time (s) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for run in "${runs[@]}"; do
  name="${run%%|*}"
  dir="$out/$name"
  scheme=$(field "$dir" scheme)
  quantizer=$(field "$dir" w_quantizer)
  if [[ "$scheme" == fp32 ]]; then
    label="fp32"; bits=32; abits=32
  else
    label="$quantizer"; bits=$(field "$dir" w_bits); abits=$(field "$dir" a_bits)
  fi
  acc=$(field "$dir" final_test_accuracy)
  size=$(($(field "$dir" model_bits) + $(field "$dir" weight_scale_bits)))
  step=$(field "$dir" ul2q_step_sigmas)
  clipped=$(field "$dir" ste_clipped_fraction)
  awk -v l="$label" -v b="$bits" -v ab="$abits" -v a="$acc" -v f="$fp32_acc" -v s="$size" -v fb="$fp32_bits" \
      -v c="$clipped" -v st="$step" -v t="$(cat "$out/$name.seconds")" -v sch="$scheme" 'BEGIN {
    delta = sch == "fp32" ? "-" : sprintf("%+.2f", 100 * (a - f));
    clip = sch == "fp32" ? "-" : sprintf("%.2f%%", 100 * c);
    stp = st == "null" ? "-" : sprintf("%.4f", st);
    printf "| %s | %s | %s | %.2f%% | %s | %d | %.1fx | %s | %s | %d |\n", l, b, ab, 100 * a, delta, s, fb / s, clip, stp, t
  }'
done
echo
echo "LeNet-5, $epochs epochs, train subset $subset (0 = all 60000), $(nproc) CPUs ($(uname -m)), total wall time ${total} s; runs in $out"
