#pragma once
// Number formats per layer and tensor: integer widths 1..32 or fp32/fp16/bf16, set globally,
// per layer by name or index, or from a bitwidth schedule file.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/config.h"
#include "workloads/network/network.h"

namespace workloads {

/// Integer (fixed point) or one of the floating-point formats.
enum class NumberKind : std::uint8_t { kInt, kFp32, kFp16, kBf16 };

/// A number format: kind and storage width in bits.
struct NumberFormat {
  NumberKind kind = NumberKind::kInt;
  std::uint32_t bits = 8;
  bool is_float() const { return kind != NumberKind::kInt; }
  /// "8", "4", "fp32", "fp16", "bf16": the text used in config files.
  std::string name() const;
  bool operator==(const NumberFormat& other) const {
    return kind == other.kind && bits == other.bits;
  }
};

/// Parses "1".."32", "int8"-style, "fp32", "fp16", "bf16"; returns false when it is none.
bool parse_number_format(const std::string& text, NumberFormat& out);

/// Widths of one layer's tensors.
struct LayerPrecision {
  NumberFormat w{NumberKind::kInt, 8};     // weights
  NumberFormat a{NumberKind::kInt, 8};     // input activations
  NumberFormat g{NumberKind::kInt, 8};     // gradients (training)
  NumberFormat acc{NumberKind::kInt, 32};  // accumulators / partial sums
};

/// Parses `workload.precision`: global w_bits/a_bits/g_bits/acc_bits, per-layer overrides
/// under `layers.<name or index>`, and an optional `schedule` file (schedule.csv from
/// `edgesim train`; its first iteration's widths apply). Returns one entry per layer.
std::vector<LayerPrecision> parse_precision(const sim::ConfigNode& precision,
                                            const Network& network);

}  // namespace workloads
