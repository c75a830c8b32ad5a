#!/usr/bin/env bash
# Installs the Debian packages edgesim needs to build, test and run; does nothing when they
# are all present. Safe to run any number of times.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libsystemc-dev libyaml-cpp-dev libboost-program-options-dev libeigen3-dev zlib1g-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libbenchmark-dev
  # Test data and tools the test suite uses: Fashion-MNIST for real training, ONNX's node test
  # models, Slurm for the cluster test, Chromium for the report page, GTKWave for traces.
  dataset-fashion-mnist libonnx-testdata python3-onnx
  slurm-wlm slurmctld slurmd munge chromium gtkwave xvfb
  # Benchmarks and documentation screenshots (bench/trace_cost.sh, docs/traces.md).
  valgrind bc xauth x11-apps netpbm
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "edgesim: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -o DPkg::Lock::Timeout=600
"${sudo_cmd[@]}" apt-get install -y -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}"
