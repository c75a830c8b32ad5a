#pragma once
// Analytic timing of a GEMM on an R x C systolic array (plain C++, no kernel): the fold
// formula shared by the tile-level PE array, the software tiler and the SCALE-Sim reports.
//
// Conventions (SCALE-Sim v2's, docs/scalesim.md): P = ofmap pixels (GemmShape::m), W = filter
// window (k), F = filters (n). Spatial rows / cols / temporal dimension are (P, F, W) for os,
// (W, F, P) for ws and (W, P, F) for is. A layer with groups > 1 runs its groups back to back,
// each folded on its own (SCALE-Sim splits a depthwise layer into one layer per channel).

#include <cstdint>
#include <string>

#include "workloads/network/network.h"

namespace models {

/// How operands map onto the array.
enum class Dataflow { kOs, kWs, kIs };
/// "os" / "ws" / "is".
const char* dataflow_name(Dataflow dataflow);
/// Parses "os" / "ws" / "is" (case-insensitive); returns false for anything else.
bool parse_dataflow(const std::string& text, Dataflow& dataflow);

/// The result of folding one GEMM (one group) onto the array.
struct FoldTiming {
  std::uint64_t spatial_rows = 0;  // Sr
  std::uint64_t spatial_cols = 0;  // Sc
  std::uint64_t temporal = 0;      // T
  std::uint64_t row_folds = 0;     // ceil(Sr / R)
  std::uint64_t col_folds = 0;     // ceil(Sc / C)
  std::uint64_t folds = 0;
  std::uint64_t cycles_per_fold = 0;  // R + C + T - 2 (os), 2R + C + T - 2 (ws, is)
  std::uint64_t cycles = 0;           // true cycle count: folds x cycles per fold
  double mapping_efficiency = 0;      // mean over folds of used PEs / (R x C)
};

/// Folds `shape` (one group) onto an R x C array with `dataflow`.
FoldTiming fold_timing(const workloads::GemmShape& shape, std::uint32_t rows, std::uint32_t cols,
                       Dataflow dataflow);

/// Which accounting a figure follows.
enum class Accounting {
  kScalesimCompat,  // SCALE-Sim v2's numbers exactly, quirks included (sim.scalesim_compat)
  kEdgesim,         // what the modelled hardware does (the default)
};

/// SRAM accesses of one GEMM, in elements (one SCALE-Sim word each).
struct SramAccessCounts {
  std::uint64_t ifmap_reads = 0;
  std::uint64_t filter_reads = 0;
  std::uint64_t ofmap_writes = 0;
  std::uint64_t ofmap_reads = 0;  // partial sums read back to accumulate (0 in compat mode)
};

/// The figures of SCALE-Sim's COMPUTE_REPORT and SRAM columns for one layer's GEMM.
struct GemmMetrics {
  FoldTiming fold;                    // one group
  std::uint64_t groups = 1;           // groups run back to back
  std::uint64_t macs = 0;             // all groups
  std::uint64_t true_cycles = 0;      // cycle count: groups x folds x cycles per fold
  std::uint64_t compat_cycles = 0;    // SCALE-Sim's "Total Cycles": per group count - 1, summed
  std::uint64_t reported_cycles = 0;  // compat_cycles or true_cycles, per the accounting
  double overall_util_pct = 0;        // macs x 100 / (reported_cycles x R x C)
  double mapping_efficiency_pct = 0;  // mean over folds of used PEs x 100 / (R x C)
  double compute_util_pct = 0;        // mean over folds of used PEs x T / (R x C x fold length)
  SramAccessCounts sram;              // all groups
};

/// How SCALE-Sim's per-fold means are summed. SCALE-Sim uses Python's sum(), whose float
/// result changed in Python 3.12 (compensated summation); the last printed digits of
/// Mapping Efficiency and Compute Util depend on the Python that ran SCALE-Sim.
enum class PythonSum {
  kCompensated,  // Python >= 3.12 (Neumaier), the default
  kNaive,        // Python <= 3.11: left-to-right double additions
};

/// SCALE-Sim-style metrics of `shape` (all groups) on an R x C array. In compat mode the
/// floating-point figures are computed in SCALE-Sim's order of operations, so they print
/// identically; compute utilisation then uses SCALE-Sim's fold length for ws/is
/// (2R + 2C + T - 3, its demand-matrix length) instead of the real 2R + C + T - 2.
GemmMetrics gemm_metrics(const workloads::GemmShape& shape, std::uint32_t rows, std::uint32_t cols,
                         Dataflow dataflow, Accounting accounting,
                         PythonSum python_sum = PythonSum::kCompensated);

/// SRAM accesses of one group. Compat: SCALE-Sim's counts (os adds R + C ofmap writes per
/// fold; partial sums are written once per reduction fold and never read). Edgesim: os writes
/// each output once; ws/is read back the partial sum of every reduction fold but the first.
SramAccessCounts sram_access_counts(const FoldTiming& fold, std::uint32_t rows, std::uint32_t cols,
                                    Dataflow dataflow, Accounting accounting);

/// Convolution geometry as SCALE-Sim sees it (no padding), for the SRAM access windows.
struct ScalesimConvGeometry {
  std::uint64_t ifmap_h = 1, ifmap_w = 1;
  std::uint64_t filter_h = 1, filter_w = 1;
  std::uint64_t channels = 1;
  std::uint64_t filters = 1;
  std::uint64_t stride_h = 1, stride_w = 1;
  std::uint64_t ofmap_h() const {
    return (ifmap_h - filter_h + stride_h + stride_h - 1) / stride_h;
  }
  std::uint64_t ofmap_w() const {
    return (ifmap_w - filter_w + stride_w + stride_w - 1) / stride_w;
  }
  /// P x F x W as a GemmShape (one group).
  workloads::GemmShape gemm() const;
};

/// First and last cycle at which the array accesses each operand's SRAM, as SCALE-Sim's
/// DETAILED_ACCESS_REPORT gives them (stall-free): reads are reported one cycle after the
/// request (SRAM hit latency), writes at the cycle of the request. SCALE-Sim marks window
/// elements that fall outside the ifmap (when (ifmap - filter) is not a multiple of the
/// stride) as no request; they move the ifmap start/stop cycles and are handled here.
struct SramAccessWindow {
  std::uint64_t ifmap_start = 0, ifmap_stop = 0;
  std::uint64_t filter_start = 0, filter_stop = 0;
  std::uint64_t ofmap_start = 0, ofmap_stop = 0;
};
SramAccessWindow scalesim_sram_window(const ScalesimConvGeometry& geometry, std::uint32_t rows,
                                      std::uint32_t cols, Dataflow dataflow);

}  // namespace models
