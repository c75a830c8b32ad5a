#pragma once
// Energy model: per-action energies from a table (defaults: published 45 nm figures) applied
// to the action counts of every component. Plain C++: evaluated when a run is reported.

#include <array>
#include <cstdint>
#include <vector>

#include "sim/core/config.h"
#include "workloads/training/precision.h"
#include "workloads/training/program.h"

namespace models {

/// Per-action energies (`energy.table`) and scaling (`energy`). All figures in pJ unless the
/// name says otherwise; sources in docs/energy.md.
struct EnergyParams {
  double technology_scale = 1.0;  // multiplies every logic and SRAM figure (not DRAM)
  double leakage_mw = 5.0;        // static power of the accelerator while the run lasts
  // Integer arithmetic (Horowitz, ISSCC 2014, 45 nm).
  double int_mult_8x8_pj = 0.2;  // scaled by (w_bits x a_bits) / 64
  double int_add_8_pj = 0.03;    // adders linear in bits through these points
  double int_add_16_pj = 0.05;
  double int_add_32_pj = 0.1;
  // Floating point (same source); bf16 taken equal to fp16 (no published 45 nm figure).
  double fp16_mult_pj = 1.1;
  double fp32_mult_pj = 3.7;
  double bf16_mult_pj = 1.1;
  double fp16_add_pj = 0.4;
  double fp32_add_pj = 0.9;
  double bf16_add_pj = 0.4;
  // 64-bit SRAM reads by capacity (same source); log-log interpolation between the points.
  double sram_read_64b_8kib_pj = 10.0;
  double sram_read_64b_32kib_pj = 20.0;
  double sram_read_64b_1mib_pj = 100.0;
  double sram_write_factor = 1.0;  // write energy relative to a read of the same size
  // Operand and partial-sum registers inside a PE, per bit moved (assumption, docs/energy.md).
  double register_pj_per_bit = 0.00375;
};
EnergyParams parse_energy(const sim::ConfigNode& energy);

/// Energy of one MAC with these formats (multiplier + accumulator adder + operand registers).
double mac_energy_pj(const EnergyParams& p, const workloads::NumberFormat& weight,
                     const workloads::NumberFormat& activation, std::uint32_t acc_bits);
/// Energy of one elementwise vector operation (an add-class operation at that format; a
/// multiply-add costs two).
double vector_op_energy_pj(const EnergyParams& p, const workloads::NumberFormat& format);
/// Energy per bit read (write = false) or written from an SRAM of `size_bytes`.
double sram_energy_pj_per_bit(const EnergyParams& p, std::uint64_t size_bytes, bool write);

/// Integer femtojoules: breakdowns add up exactly.
using Femtojoules = std::uint64_t;
Femtojoules to_fj(double pj);

/// Energy by component, tensor class and phase. by_class has one extra slot (index
/// kTensorClassCount, "compute") for energy not tied to a tensor (MACs, leakage, DRAM
/// refresh and background); by_phase has one extra slot (index kPhaseCount, "other") for
/// energy outside any op (host overheads, DRAM refresh and background).
struct EnergyBreakdown {
  Femtojoules mac = 0, sram = 0, dram = 0, vector = 0, leakage = 0;
  std::array<Femtojoules, workloads::kTensorClassCount + 1> by_class{};
  std::array<Femtojoules, workloads::kPhaseCount + 1> by_phase{};
  Femtojoules total() const { return mac + sram + dram + vector + leakage; }
  /// Adds `fj` of `component` under a class and phase slot.
  void add(Femtojoules EnergyBreakdown::*component, std::size_t cls, std::size_t phase,
           Femtojoules fj);
};

/// Splits `total` over `weights` in proportion, exactly (largest remainder).
std::vector<Femtojoules> split_exactly(Femtojoules total,
                                       const std::vector<std::uint64_t>& weights);

}  // namespace models
