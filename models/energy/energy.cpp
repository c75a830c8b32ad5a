#include "models/energy/energy.h"

#include <algorithm>
#include <cmath>

namespace models {

EnergyParams parse_energy(const sim::ConfigNode& energy) {
  EnergyParams p;
  p.technology_scale = energy.get_in_range("technology_scale", p.technology_scale, 1e-3, 1e3);
  p.leakage_mw = energy.get_in_range("leakage_mw", p.leakage_mw, 0.0, 1e6);
  const sim::ConfigNode t = energy.child("table");
  auto entry = [&](const char* key, double& field) {
    field = t.get_in_range(key, field, 0.0, 1e9);
  };
  entry("int_mult_8x8_pj", p.int_mult_8x8_pj);
  entry("int_add_8_pj", p.int_add_8_pj);
  entry("int_add_16_pj", p.int_add_16_pj);
  entry("int_add_32_pj", p.int_add_32_pj);
  entry("fp16_mult_pj", p.fp16_mult_pj);
  entry("fp32_mult_pj", p.fp32_mult_pj);
  entry("bf16_mult_pj", p.bf16_mult_pj);
  entry("fp16_add_pj", p.fp16_add_pj);
  entry("fp32_add_pj", p.fp32_add_pj);
  entry("bf16_add_pj", p.bf16_add_pj);
  entry("sram_read_64b_8kib_pj", p.sram_read_64b_8kib_pj);
  entry("sram_read_64b_32kib_pj", p.sram_read_64b_32kib_pj);
  entry("sram_read_64b_1mib_pj", p.sram_read_64b_1mib_pj);
  entry("sram_write_factor", p.sram_write_factor);
  entry("register_pj_per_bit", p.register_pj_per_bit);
  return p;
}

namespace {

double int_add_pj(const EnergyParams& p, std::uint32_t bits) {
  // Piecewise linear in bits through (8, 16, 32), extended linearly beyond both ends.
  const double b = bits;
  if (b <= 16) return p.int_add_8_pj + (b - 8) * (p.int_add_16_pj - p.int_add_8_pj) / 8.0;
  return p.int_add_16_pj + (b - 16) * (p.int_add_32_pj - p.int_add_16_pj) / 16.0;
}

double fp_mult_pj(const EnergyParams& p, workloads::NumberKind kind) {
  return kind == workloads::NumberKind::kFp32   ? p.fp32_mult_pj
         : kind == workloads::NumberKind::kFp16 ? p.fp16_mult_pj
                                                : p.bf16_mult_pj;
}

double fp_add_pj(const EnergyParams& p, workloads::NumberKind kind) {
  return kind == workloads::NumberKind::kFp32   ? p.fp32_add_pj
         : kind == workloads::NumberKind::kFp16 ? p.fp16_add_pj
                                                : p.bf16_add_pj;
}

}  // namespace

double mac_energy_pj(const EnergyParams& p, const workloads::NumberFormat& weight,
                     const workloads::NumberFormat& activation, std::uint32_t acc_bits) {
  double multiply = 0, add = 0;
  if (weight.is_float() || activation.is_float()) {
    // The wider of the two floating-point formats sets the datapath.
    const auto kind = (weight.kind == workloads::NumberKind::kFp32 ||
                       activation.kind == workloads::NumberKind::kFp32)
                          ? workloads::NumberKind::kFp32
                          : (weight.is_float() ? weight.kind : activation.kind);
    multiply = fp_mult_pj(p, kind);
    add = fp_add_pj(p, kind);
  } else {
    // Multiplier energy grows with the product of the operand widths.
    multiply = p.int_mult_8x8_pj * weight.bits * activation.bits / 64.0;
    add = int_add_pj(p, acc_bits);
  }
  // Each MAC moves one weight, one activation and one partial sum through PE registers.
  const double registers =
      p.register_pj_per_bit * (weight.bits + activation.bits + static_cast<double>(acc_bits));
  return (multiply + add + registers) * p.technology_scale;
}

double vector_op_energy_pj(const EnergyParams& p, const workloads::NumberFormat& format) {
  const double op = format.is_float() ? fp_add_pj(p, format.kind) : int_add_pj(p, format.bits);
  return op * p.technology_scale;
}

double sram_energy_pj_per_bit(const EnergyParams& p, std::uint64_t size_bytes, bool write) {
  // Log-log interpolation through the three published points: energy grows sub-linearly
  // with capacity (about capacity^0.5 here).
  const double x[3] = {std::log(8192.0), std::log(32768.0), std::log(1048576.0)};
  const double y[3] = {std::log(p.sram_read_64b_8kib_pj), std::log(p.sram_read_64b_32kib_pj),
                       std::log(p.sram_read_64b_1mib_pj)};
  const double s = std::log(static_cast<double>(std::max<std::uint64_t>(size_bytes, 64)));
  const int segment = s <= x[1] ? 0 : 1;
  const double slope = (y[segment + 1] - y[segment]) / (x[segment + 1] - x[segment]);
  const double read_64b = std::exp(y[segment] + slope * (s - x[segment]));
  return read_64b / 64.0 * (write ? p.sram_write_factor : 1.0) * p.technology_scale;
}

Femtojoules to_fj(double pj) { return static_cast<Femtojoules>(std::llround(pj * 1000.0)); }

void EnergyBreakdown::add(Femtojoules EnergyBreakdown::*component, std::size_t cls,
                          std::size_t phase, Femtojoules fj) {
  this->*component += fj;
  by_class[cls] += fj;
  by_phase[phase] += fj;
}

std::vector<Femtojoules> split_exactly(Femtojoules total,
                                       const std::vector<std::uint64_t>& weights) {
  std::vector<Femtojoules> parts(weights.size(), 0);
  long double sum = 0;
  for (auto w : weights) sum += w;
  if (weights.empty()) return parts;
  if (sum == 0) {
    parts[0] = total;
    return parts;
  }
  Femtojoules assigned = 0;
  std::vector<std::pair<long double, std::size_t>> remainders;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const long double exact = static_cast<long double>(total) * weights[i] / sum;
    parts[i] = static_cast<Femtojoules>(std::floor(exact));
    assigned += parts[i];
    remainders.push_back({exact - parts[i], i});
  }
  std::sort(remainders.begin(), remainders.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = 0; assigned < total && i < remainders.size(); ++i, ++assigned) {
    ++parts[remainders[i].second];
  }
  return parts;
}

}  // namespace models
