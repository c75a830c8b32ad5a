#include "workloads/mapping/tiler.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace workloads {

namespace {

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

bool is_depthwise(const Layer& layer) { return layer.type == LayerType::kDepthwiseConv2d; }

/// Window elements per input channel (1 for matrix layers).
std::uint64_t window_per_channel(const Layer& layer) {
  return layer.is_conv() ? std::uint64_t{layer.kernel_h} * layer.kernel_w : 1;
}

/// Candidate extents for one dimension: multiples of `unit` by powers of two, and the whole.
std::vector<std::uint64_t> candidates(std::uint64_t extent, std::uint64_t unit,
                                      std::uint64_t first) {
  std::vector<std::uint64_t> values;
  for (std::uint64_t v = std::max<std::uint64_t>(first, unit); v < extent; v *= 2) {
    values.push_back(v - v % unit);
  }
  for (std::uint64_t v = unit; v < first && v < extent; v *= 2) values.push_back(v);
  values.push_back(extent);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  values.erase(std::remove(values.begin(), values.end(), 0), values.end());
  return values;
}

}  // namespace

std::string TilePlan::order_name() const {
  std::string name;
  for (Dim d : order) name += d == Dim::kM ? 'm' : d == Dim::kN ? 'n' : 'k';
  return name;
}

TiledExtents tiled_extents(const Layer& layer, const GemmOp& op) {
  TiledExtents e;
  e.m = op.shape.m;
  if (is_depthwise(layer)) {
    e.n = op.shape.groups;
    e.k = op.shape.k;
  } else {
    e.n = op.shape.n;
    e.k = op.shape.k;
  }
  return e;
}

TileFootprint tile_footprint(const Layer& layer, const GemmOp& op, std::uint64_t m0,
                             std::uint64_t tm, std::uint64_t tn, std::uint64_t tk) {
  TileFootprint f;
  const std::uint64_t window = window_per_channel(layer);
  if (layer.is_conv()) {
    // Input channels touched by the tile: depthwise tiles channels along n, conv along k.
    const std::uint64_t channels = is_depthwise(layer) ? tn : tk / window;
    const std::uint64_t pixels_per_image = std::uint64_t{layer.out_h()} * layer.out_w();
    const std::uint64_t ow = layer.out_w();
    const std::uint64_t padded_w = layer.in_w + 2ULL * layer.pad_w;
    const std::uint64_t padded_h = layer.in_h + 2ULL * layer.pad_h;
    std::uint64_t input_pixels = 0;
    if (tm >= pixels_per_image) {
      // Whole images (possibly several of the batch).
      input_pixels = ceil_div(tm, pixels_per_image) * std::uint64_t{layer.in_h} * layer.in_w;
    } else {
      const std::uint64_t local = m0 % pixels_per_image;
      const std::uint64_t first_row = local / ow;
      const std::uint64_t last_row =
          std::min<std::uint64_t>((local + tm - 1) / ow, layer.out_h() - 1);
      const std::uint64_t out_rows = last_row - first_row + 1;
      const std::uint64_t in_rows =
          std::min(padded_h, (out_rows - 1) * layer.stride_h + layer.kernel_h);
      const std::uint64_t in_cols =
          out_rows > 1 ? padded_w : std::min(padded_w, (tm - 1) * layer.stride_w + layer.kernel_w);
      input_pixels = in_rows * in_cols;
    }
    f.a_elements = input_pixels * channels;
    f.b_elements = is_depthwise(layer) ? window * tn : tk * tn;
  } else {
    f.a_elements = tm * tk;
    f.b_elements = tk * tn;
  }
  f.c_elements = tm * tn;
  return f;
}

TileFootprint max_tile_footprint(const Layer& layer, const GemmOp& op, std::uint64_t tm,
                                 std::uint64_t tn, std::uint64_t tk) {
  TileFootprint worst = tile_footprint(layer, op, 0, tm, tn, tk);
  if (!layer.is_conv()) return worst;
  const std::uint64_t pixels_per_image = std::uint64_t{layer.out_h()} * layer.out_w();
  if (tm >= pixels_per_image || tm < 2) return worst;
  // tm consecutive pixels starting s pixels into a row span floor((s + tm - 1) / ow) + 1 rows;
  // the worst start is the last pixel of a row.
  const std::uint64_t ow = layer.out_w();
  const std::uint64_t out_rows = std::min<std::uint64_t>((tm + ow - 2) / ow + 1, layer.out_h());
  const std::uint64_t window = std::uint64_t{layer.kernel_h} * layer.kernel_w;
  const std::uint64_t channels = is_depthwise(layer) ? tn : tk / window;
  const std::uint64_t in_rows = std::min<std::uint64_t>(
      layer.in_h + 2ULL * layer.pad_h, (out_rows - 1) * layer.stride_h + layer.kernel_h);
  const std::uint64_t in_cols =
      out_rows > 1 ? layer.in_w + 2ULL * layer.pad_w
                   : std::min<std::uint64_t>(layer.in_w + 2ULL * layer.pad_w,
                                             (tm - 1) * layer.stride_w + layer.kernel_w);
  worst.a_elements = std::max(worst.a_elements, in_rows * in_cols * channels);
  return worst;
}

GemmShape tile_gemm(const Layer& layer, const GemmOp& op, std::uint64_t tm, std::uint64_t tn,
                    std::uint64_t tk) {
  GemmShape g;
  g.m = tm;
  if (is_depthwise(layer)) {
    g.n = 1;
    g.k = tk;
    g.groups = tn;
  } else {
    g.n = tn;
    g.k = tk;
    g.groups = 1;
  }
  return g;
}

namespace {

struct Candidate {
  std::uint64_t tm, tn, tk;
};

/// Product of the loop counts from the outermost loop down to the innermost loop that
/// indexes the operand: how many times the operand's tile changes.
std::uint64_t visits(const std::array<Dim, 3>& order, const std::array<std::uint64_t, 3>& counts,
                     bool uses_m, bool uses_n, bool uses_k) {
  std::size_t last = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const Dim d = order[i];
    if ((d == Dim::kM && uses_m) || (d == Dim::kN && uses_n) || (d == Dim::kK && uses_k)) {
      last = i;
    }
  }
  std::uint64_t product = 1;
  for (std::size_t i = 0; i <= last; ++i) product *= counts[static_cast<std::size_t>(order[i])];
  return product;
}

}  // namespace

TilePlan plan_tiles(const Layer& layer, const GemmOp& op, const TilerParams& params) {
  const TiledExtents e = tiled_extents(layer, op);
  const std::uint64_t window = window_per_channel(layer);
  const std::uint64_t slots = params.double_buffer ? 2 : 1;

  // Tile units: convolutions tile k by whole input channels (so a channel's window stays
  // together) and m by whole output rows where possible.
  const std::uint64_t k_unit = (layer.is_conv() && !is_depthwise(layer)) ? window : 1;
  std::vector<std::uint64_t> m_values = candidates(e.m, 1, params.array_rows);
  if (layer.is_conv()) {
    for (std::uint64_t rows = 1; rows < layer.out_h(); rows *= 2) {
      m_values.push_back(std::min<std::uint64_t>(e.m, rows * layer.out_w()));
    }
    std::sort(m_values.begin(), m_values.end());
    m_values.erase(std::unique(m_values.begin(), m_values.end()), m_values.end());
  }
  const std::vector<std::uint64_t> n_values = candidates(e.n, 1, params.array_cols);
  const std::vector<std::uint64_t> k_values =
      is_depthwise(layer) ? std::vector<std::uint64_t>{e.k}
                          : candidates(e.k, k_unit, k_unit * params.array_rows);

  const std::array<std::array<Dim, 3>, 6> orders{{{Dim::kM, Dim::kN, Dim::kK},
                                                  {Dim::kN, Dim::kM, Dim::kK},
                                                  {Dim::kM, Dim::kK, Dim::kN},
                                                  {Dim::kK, Dim::kM, Dim::kN},
                                                  {Dim::kN, Dim::kK, Dim::kM},
                                                  {Dim::kK, Dim::kN, Dim::kM}}};

  TilePlan best;
  best.feasible = false;
  std::uint64_t best_bytes = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t best_tiles = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t smallest_a = 0, smallest_b = 0, smallest_c = 0;

  for (std::uint64_t tm : m_values) {
    for (std::uint64_t tn : n_values) {
      for (std::uint64_t tk : k_values) {
        const TileFootprint f = max_tile_footprint(layer, op, tm, tn, tk);
        const std::uint64_t a_bytes = packed_bytes(f.a_elements, op.a.bits, params.container_bits);
        const std::uint64_t b_bytes = packed_bytes(f.b_elements, op.b.bits, params.container_bits);
        const std::uint64_t psum_bytes =
            packed_bytes(f.c_elements, op.acc_bits, params.container_bits);
        if (tm == m_values.front() && tn == n_values.front() && tk == k_values.front()) {
          smallest_a = a_bytes * slots;
          smallest_b = b_bytes * slots;
          smallest_c = psum_bytes * slots;
        }
        const bool fits = params.unified
                              ? (a_bytes + b_bytes + psum_bytes) * slots <= params.unified_bytes
                              : a_bytes * slots <= params.ifmap_bytes &&
                                    b_bytes * slots <= params.weight_bytes &&
                                    psum_bytes * slots <= params.ofmap_bytes;
        if (!fits) continue;

        const std::array<std::uint64_t, 3> counts{ceil_div(e.m, tm), ceil_div(e.n, tn),
                                                  ceil_div(e.k, tk)};
        // Distinct bytes of each operand over the whole op (remainder tiles are smaller).
        const std::uint64_t a_total =
            packed_bytes(std::max<std::uint64_t>(f.a_elements * e.m / tm * e.k / tk, 1), op.a.bits,
                         params.container_bits);
        const std::uint64_t b_total =
            packed_bytes(std::max<std::uint64_t>(f.b_elements * e.n * e.k / (tn * tk), 1),
                         op.b.bits, params.container_bits);
        const std::uint64_t c_out = packed_bytes(e.m * e.n, op.c.bits, params.container_bits);
        const std::uint64_t c_psum = packed_bytes(e.m * e.n, op.acc_bits, params.container_bits);
        for (const auto& order : orders) {
          const std::uint64_t a_visits = visits(order, counts, true, false, true);
          const std::uint64_t b_visits = visits(order, counts, false, true, true);
          const std::uint64_t c_visits = visits(order, counts, true, true, false);
          const std::uint64_t a_reload = a_visits / (counts[0] * counts[2]);
          const std::uint64_t b_reload = b_visits / (counts[1] * counts[2]);
          const std::uint64_t c_spills = c_visits / (counts[0] * counts[1]) - 1;
          const std::uint64_t reads = a_total * a_reload + b_total * b_reload + c_psum * c_spills;
          const std::uint64_t writes = c_out + c_psum * c_spills;
          const std::uint64_t bytes = reads + writes;
          const std::uint64_t tiles = counts[0] * counts[1] * counts[2];
          if (bytes < best_bytes || (bytes == best_bytes && tiles < best_tiles)) {
            best_bytes = bytes;
            best_tiles = tiles;
            best.feasible = true;
            best.tile_m = tm;
            best.tile_n = tn;
            best.tile_k = tk;
            best.order = order;
            best.count_m = counts[0];
            best.count_n = counts[1];
            best.count_k = counts[2];
            best.dram_read_bytes = reads;
            best.dram_write_bytes = writes;
          }
        }
      }
    }
  }
  if (!best.feasible) {
    best.reason = "layer '" + layer.name + "': its smallest tile does not fit on chip (needs " +
                  std::to_string(smallest_a) + " B ifmap, " + std::to_string(smallest_b) +
                  " B weight, " + std::to_string(smallest_c) + " B ofmap" +
                  (params.unified ? "; unified buffer " + std::to_string(params.unified_bytes)
                                  : "; buffers " + std::to_string(params.ifmap_bytes) + "/" +
                                        std::to_string(params.weight_bytes) + "/" +
                                        std::to_string(params.ofmap_bytes)) +
                  " B)";
  }
  return best;
}

std::uint64_t estimate_cycles(const TilePlan& plan, const GemmOp& op, const TilerParams& params,
                              double dram_bytes_per_cycle) {
  if (!plan.feasible) return std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t rows = std::max<std::uint32_t>(params.array_rows, 1);
  const std::uint64_t cols = std::max<std::uint32_t>(params.array_cols, 1);
  const std::uint64_t per_tile =
      ceil_div(plan.tile_m, rows) * ceil_div(plan.tile_n, cols) * (plan.tile_k + rows + cols - 1);
  const std::uint64_t compute = per_tile * plan.tile_count();
  // Each on-chip operand's bytes (read once) come off the plan's traffic.
  const std::uint64_t a = packed_bytes(op.shape.m * op.shape.k, op.a.bits, params.container_bits);
  const std::uint64_t b = packed_bytes(op.shape.k * op.shape.n, op.b.bits, params.container_bits);
  const std::uint64_t c = packed_bytes(op.shape.m * op.shape.n, op.c.bits, params.container_bits);
  std::uint64_t bytes = plan.dram_read_bytes + plan.dram_write_bytes;
  auto drop = [&](bool on_chip, std::uint64_t part) {
    if (on_chip) bytes -= std::min(bytes, part);
  };
  drop(op.a_on_chip, a);
  drop(op.b_on_chip, b);
  drop(op.c_on_chip, c);
  const double transfer = dram_bytes_per_cycle > 0 ? bytes / dram_bytes_per_cycle : 0.0;
  return std::max(compute, static_cast<std::uint64_t>(transfer + 0.5));
}

}  // namespace workloads
