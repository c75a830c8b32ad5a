#include "models/pe_array/systolic_model.h"

namespace models {

const char* dataflow_name(Dataflow dataflow) {
  switch (dataflow) {
    case Dataflow::kOs:
      return "os";
    case Dataflow::kWs:
      return "ws";
    case Dataflow::kIs:
      return "is";
  }
  return "os";
}

FoldTiming fold_timing(const workloads::GemmShape& shape, std::uint32_t rows, std::uint32_t cols,
                       Dataflow dataflow) {
  FoldTiming t;
  // P = output pixels (m), W = window (k), F = filters (n).
  switch (dataflow) {
    case Dataflow::kOs:
      t.spatial_rows = shape.m;
      t.spatial_cols = shape.n;
      t.temporal = shape.k;
      break;
    case Dataflow::kWs:
      t.spatial_rows = shape.k;
      t.spatial_cols = shape.n;
      t.temporal = shape.m;
      break;
    case Dataflow::kIs:
      t.spatial_rows = shape.k;
      t.spatial_cols = shape.m;
      t.temporal = shape.n;
      break;
  }
  t.row_folds = (t.spatial_rows + rows - 1) / rows;
  t.col_folds = (t.spatial_cols + cols - 1) / cols;
  t.folds = t.row_folds * t.col_folds;
  // Fill, temporal stream and drain; ws and is first preload the stationary operand (R).
  const std::uint64_t per_fold = dataflow == Dataflow::kOs
                                     ? std::uint64_t{rows} + cols + t.temporal - 2
                                     : 2 * std::uint64_t{rows} + cols + t.temporal - 2;
  t.cycles = t.folds * per_fold;
  // Used PEs summed over all folds equals Sr x Sc, so the mean needs no loop.
  t.mapping_efficiency = static_cast<double>(t.spatial_rows * t.spatial_cols) /
                         (static_cast<double>(t.folds) * rows * cols);
  return t;
}

}  // namespace models
