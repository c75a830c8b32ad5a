#pragma once
// SCALE-Sim v2's CALC-mode memory accounting, replayed: the operand demand streams its
// systolic compute produces (one row of SRAM addresses per cycle) and its bandwidth-estimating
// double-buffered read buffers, which decide the DRAM columns of its DETAILED_ACCESS_REPORT.
// This reproduces SCALE-Sim's figures, not hardware: edgesim's own DRAM traffic comes from its
// DMA and DRAM models. It walks every SRAM request, so it costs time proportional to the
// layer's accesses (opt-in, for exact compat reports).

#include <cstdint>

#include "models/pe_array/systolic_model.h"

namespace models {

/// The SCALE-Sim config values the memory replay depends on.
struct ScalesimMemoryConfig {
  std::uint64_t ifmap_sram_bytes = 64 * 1024;
  std::uint64_t filter_sram_bytes = 64 * 1024;
  std::uint64_t ofmap_sram_bytes = 64 * 1024;
  std::uint64_t ifmap_offset = 0;
  std::uint64_t filter_offset = 10000000;
  std::uint64_t ofmap_offset = 20000000;
};

/// First cycle, last cycle and count of one operand's accesses at one level.
struct ScalesimAccessSpan {
  std::int64_t start = 0;
  std::int64_t stop = 0;
  std::uint64_t count = 0;
};

/// What SCALE-Sim's CALC mode reports for one layer's memory.
struct ScalesimMemoryReplay {
  std::uint64_t total_cycles = 0;  // SCALE-Sim's Total Cycles (last cycle index + stalls)
  std::uint64_t stall_cycles = 0;
  ScalesimAccessSpan sram_ifmap, sram_filter, sram_ofmap;  // reads, reads, writes
  ScalesimAccessSpan dram_ifmap, dram_filter, dram_ofmap;  // reads, reads, writes
};

/// Replays one layer (one group) through SCALE-Sim's CALC-mode buffers: ifmap and filter read
/// buffers estimating at 10 words per cycle, the ofmap write buffer draining one array-width
/// line per cycle (in the version that wrote SCALE-Sim's published goldens, which never stalls
/// the array for a drain; later versions do).
ScalesimMemoryReplay scalesim_calc_memory(const ScalesimConvGeometry& geometry, std::uint32_t rows,
                                          std::uint32_t cols, Dataflow dataflow,
                                          const ScalesimMemoryConfig& config);

}  // namespace models
