#pragma once
// The accelerator's software stack: chooses tile sizes and a loop order for each GEMM so that
// the tiles fit the on-chip buffers, minimising DRAM traffic. A layer whose smallest tile does
// not fit is infeasible (a result with a reason, not an error).

#include <array>
#include <cstdint>
#include <string>

#include "workloads/network/network.h"
#include "workloads/training/program.h"

namespace workloads {

/// What the tiler needs to know about the hardware.
struct TilerParams {
  std::uint32_t array_rows = 16;
  std::uint32_t array_cols = 16;
  bool unified = false;                    // one buffer for all operands
  std::uint64_t ifmap_bytes = 64 * 1024;   // operand A buffer (split organisation)
  std::uint64_t weight_bytes = 64 * 1024;  // operand B buffer
  std::uint64_t ofmap_bytes = 64 * 1024;   // result / partial-sum buffer
  std::uint64_t unified_bytes = 192 * 1024;
  bool double_buffer = true;         // every operand takes two slots so transfers overlap compute
  std::uint32_t container_bits = 0;  // storage container per element (0 = packed)
};

/// Loop dimension of a tiled GEMM.
enum class Dim : std::uint8_t { kM = 0, kN = 1, kK = 2 };

/// A tile schedule: tile extents, loop order (outermost first) and resulting traffic.
struct TilePlan {
  bool feasible = true;
  std::string reason;                                // why infeasible
  std::uint64_t tile_m = 1, tile_n = 1, tile_k = 1;  // n counts groups for depthwise
  std::array<Dim, 3> order{Dim::kM, Dim::kN, Dim::kK};
  std::uint64_t count_m = 1, count_n = 1, count_k = 1;
  // Predicted DRAM traffic of the whole op (bytes), used to rank candidate plans.
  std::uint64_t dram_read_bytes = 0;
  std::uint64_t dram_write_bytes = 0;
  std::uint64_t tile_count() const { return count_m * count_n * count_k; }
  /// "mnk"-style name of the loop order.
  std::string order_name() const;
};

/// Operand footprints of one tile, in elements, as the DMA moves them.
struct TileFootprint {
  std::uint64_t a_elements = 0;  // input rows needed (convolutions include the halo)
  std::uint64_t b_elements = 0;  // weights
  std::uint64_t c_elements = 0;  // outputs / partial sums
};

/// Extents of the dimensions that are tiled: (m, n, k), where for depthwise n = channels.
struct TiledExtents {
  std::uint64_t m = 1, n = 1, k = 1;
};
TiledExtents tiled_extents(const Layer& layer, const GemmOp& op);

/// Footprint of the tile starting at m0 with extents (tm, tn, tk).
TileFootprint tile_footprint(const Layer& layer, const GemmOp& op, std::uint64_t m0,
                             std::uint64_t tm, std::uint64_t tn, std::uint64_t tk);
/// The largest footprint a tile of these extents has anywhere in the op (a run of output
/// pixels that starts mid-row spans one more input row): what a buffer slot must hold.
TileFootprint max_tile_footprint(const Layer& layer, const GemmOp& op, std::uint64_t tm,
                                 std::uint64_t tn, std::uint64_t tk);

/// The GEMM one tile performs on the array (groups > 1 for depthwise).
GemmShape tile_gemm(const Layer& layer, const GemmOp& op, std::uint64_t tm, std::uint64_t tn,
                    std::uint64_t tk);

/// Chooses the plan with the least DRAM traffic among tile sizes that fit the buffers.
TilePlan plan_tiles(const Layer& layer, const GemmOp& op, const TilerParams& params);

/// The tiler's analytic latency of a plan in accelerator cycles, without simulating it: per
/// tile, a systolic fold of ceil(tm / rows) x ceil(tn / cols) passes of (tk + rows + cols - 1)
/// cycles; the op takes the longer of that compute time and its planned DRAM traffic at
/// `dram_bytes_per_cycle` (transfers overlap compute under double buffering). Operands held on
/// chip (op.*_on_chip) are left out of the traffic. Used to choose ttm contraction orders by
/// latency (docs/tensorized.md).
std::uint64_t estimate_cycles(const TilePlan& plan, const GemmOp& op, const TilerParams& params,
                              double dram_bytes_per_cycle);

}  // namespace workloads
