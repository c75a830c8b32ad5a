#include "models/pe_array/pe_array_params.h"

#include <algorithm>

namespace models {

PeArrayParams parse_pe_array(const sim::ConfigNode& node) {
  PeArrayParams p;
  p.rows = static_cast<std::uint32_t>(node.get_positive("rows", p.rows));
  p.cols = static_cast<std::uint32_t>(node.get_positive("cols", p.cols));
  if (p.rows > 4096) node.fail("rows", "must be at most 4096, got " + node.raw("rows"));
  if (p.cols > 4096) node.fail("cols", "must be at most 4096, got " + node.raw("cols"));
  const std::string dataflow = node.get_choice("dataflow", "ws", {"os", "ws", "is"});
  p.dataflow = dataflow == "os" ? Dataflow::kOs : dataflow == "is" ? Dataflow::kIs : Dataflow::kWs;
  p.fidelity = node.get_choice("fidelity", p.fidelity, {"tile", "cycle"});
  p.trace_row = node.get<std::uint32_t>("trace_row", p.trace_row);
  p.trace_col = node.get<std::uint32_t>("trace_col", p.trace_col);
  if (p.trace_row >= p.rows)
    node.fail("trace_row", "must be below rows (" + std::to_string(p.rows) + "), got " +
                               std::to_string(p.trace_row));
  if (p.trace_col >= p.cols)
    node.fail("trace_col", "must be below cols (" + std::to_string(p.cols) + "), got " +
                               std::to_string(p.trace_col));
  p.precision = node.get_choice("precision", p.precision, {"fixed", "fused", "bit_serial", "fp"});
  p.native_bits = static_cast<std::uint32_t>(node.get_positive("native_bits", p.native_bits));
  p.brick_bits = static_cast<std::uint32_t>(node.get_positive("brick_bits", p.brick_bits));
  p.fused_max_bits =
      static_cast<std::uint32_t>(node.get_positive("fused_max_bits", p.fused_max_bits));
  if (p.fused_max_bits < p.brick_bits) {
    node.fail("fused_max_bits", "must be at least brick_bits (" + std::to_string(p.brick_bits) +
                                    "), got " + std::to_string(p.fused_max_bits));
  }
  if (p.fidelity == "cycle" && p.precision != "fixed") {
    node.fail("precision",
              "must be fixed at cycle fidelity (the register-transfer model does one "
              "MAC per PE per cycle), got '" +
                  p.precision + "'");
  }
  p.fp32_cycles_per_mac =
      node.get_in_range("fp32_cycles_per_mac", p.fp32_cycles_per_mac, 0.01, 1e3);
  p.fp16_cycles_per_mac =
      node.get_in_range("fp16_cycles_per_mac", p.fp16_cycles_per_mac, 0.01, 1e3);
  p.bf16_cycles_per_mac =
      node.get_in_range("bf16_cycles_per_mac", p.bf16_cycles_per_mac, 0.01, 1e3);
  return p;
}

double cycles_per_mac(const PeArrayParams& params, const workloads::NumberFormat& weight,
                      const workloads::NumberFormat& activation) {
  auto ceil_div = [](std::uint32_t a, std::uint32_t b) { return (a + b - 1) / b; };
  if (weight.is_float() || activation.is_float()) {
    // Floating-point MACs run at the slower of the two formats' rates on fp hardware; an
    // integer array emulates them at the native width's cost of a 32-bit product.
    auto rate = [&](const workloads::NumberFormat& f) {
      switch (f.kind) {
        case workloads::NumberKind::kFp32:
          return params.fp32_cycles_per_mac;
        case workloads::NumberKind::kFp16:
          return params.fp16_cycles_per_mac;
        case workloads::NumberKind::kBf16:
          return params.bf16_cycles_per_mac;
        case workloads::NumberKind::kInt:
          break;
      }
      return 1.0;
    };
    const double fp_rate = std::max(rate(weight), rate(activation));
    if (params.precision == "fp") return fp_rate;
    return static_cast<double>(ceil_div(32, params.native_bits) * ceil_div(32, params.native_bits));
  }
  if (params.precision == "fused") {
    // Bit fusion: a PE holds (max/brick)^2 bricks; a w x a product needs
    // ceil(w/brick) x ceil(a/brick) of them.
    const double bricks_per_pe = static_cast<double>(params.fused_max_bits / params.brick_bits) *
                                 (params.fused_max_bits / params.brick_bits);
    const double bricks = static_cast<double>(ceil_div(weight.bits, params.brick_bits)) *
                          ceil_div(activation.bits, params.brick_bits);
    return bricks / bricks_per_pe;
  }
  if (params.precision == "bit_serial") return static_cast<double>(weight.bits);
  // fixed (and fp with integer operands): narrower operands are zero-gated at the same speed;
  // wider ones take several passes of the native multiplier.
  return static_cast<double>(ceil_div(weight.bits, params.native_bits) *
                             ceil_div(activation.bits, params.native_bits));
}

}  // namespace models
