#pragma once
// Analytic timing of a GEMM on an R x C systolic array (plain C++, no kernel): the fold
// formula shared by the tile-level PE array, the software tiler and the SCALE-Sim reports.

#include <cstdint>
#include <string>

#include "workloads/network/network.h"

namespace models {

/// How operands map onto the array.
enum class Dataflow { kOs, kWs, kIs };
/// "os" / "ws" / "is".
const char* dataflow_name(Dataflow dataflow);

/// The result of folding one GEMM (one group) onto the array.
struct FoldTiming {
  std::uint64_t spatial_rows = 0;  // Sr
  std::uint64_t spatial_cols = 0;  // Sc
  std::uint64_t temporal = 0;      // T
  std::uint64_t row_folds = 0;     // ceil(Sr / R)
  std::uint64_t col_folds = 0;     // ceil(Sc / C)
  std::uint64_t folds = 0;
  std::uint64_t cycles = 0;        // true cycle count: folds x cycles per fold
  double mapping_efficiency = 0;   // mean over folds of used PEs / (R x C)
};

/// Folds `shape` (one group) onto an R x C array with `dataflow`.
FoldTiming fold_timing(const workloads::GemmShape& shape, std::uint32_t rows, std::uint32_t cols,
                       Dataflow dataflow);

}  // namespace models
