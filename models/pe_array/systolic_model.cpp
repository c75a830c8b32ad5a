#include "models/pe_array/systolic_model.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <optional>

#include "sim/core/config.h"

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

bool parse_dataflow(const std::string& text, Dataflow& dataflow) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "os") {
    dataflow = Dataflow::kOs;
  } else if (lower == "ws") {
    dataflow = Dataflow::kWs;
  } else if (lower == "is") {
    dataflow = Dataflow::kIs;
  } else {
    return false;
  }
  return true;
}

FoldTiming fold_timing(const workloads::GemmShape& shape, std::uint32_t rows, std::uint32_t cols,
                       Dataflow dataflow) {
  EDGESIM_CHECK(rows > 0 && cols > 0, "fold_timing needs a non-empty array");
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
  t.cycles_per_fold = dataflow == Dataflow::kOs ? std::uint64_t{rows} + cols + t.temporal - 2
                                                : 2 * std::uint64_t{rows} + cols + t.temporal - 2;
  t.cycles = t.folds * t.cycles_per_fold;
  // Used PEs summed over all folds equals Sr x Sc, so the mean needs no loop.
  t.mapping_efficiency = static_cast<double>(t.spatial_rows * t.spatial_cols) /
                         (static_cast<double>(t.folds) * rows * cols);
  return t;
}

SramAccessCounts sram_access_counts(const FoldTiming& fold, std::uint32_t rows, std::uint32_t cols,
                                    Dataflow dataflow, Accounting accounting) {
  const std::uint64_t sr = fold.spatial_rows, sc = fold.spatial_cols, t = fold.temporal;
  SramAccessCounts s;
  // Every fold streams its temporal operand once per used row (os: also per used column);
  // the stationary operand is read once per fold it is resident in.
  switch (dataflow) {
    case Dataflow::kOs:  // rows: pixels, cols: filters, temporal: window
      s.ifmap_reads = fold.col_folds * sr * t;
      s.filter_reads = fold.row_folds * t * sc;
      s.ofmap_writes = sr * sc;
      // SCALE-Sim v2 adds the padded fold shape (R + C) to the ofmap writes of every fold.
      if (accounting == Accounting::kScalesimCompat) {
        s.ofmap_writes += fold.folds * (std::uint64_t{rows} + cols);
      }
      break;
    case Dataflow::kWs:  // rows: window, cols: filters, temporal: pixels
      s.ifmap_reads = fold.col_folds * t * sr;
      s.filter_reads = sr * sc;
      s.ofmap_writes = fold.row_folds * t * sc;
      break;
    case Dataflow::kIs:  // rows: window, cols: pixels, temporal: filters
      s.ifmap_reads = sr * sc;
      s.filter_reads = fold.col_folds * sr * t;
      s.ofmap_writes = fold.row_folds * sc * t;
      break;
  }
  // ws / is split the reduction over row folds: each fold after the first adds to the
  // partial sum the previous one wrote, so the hardware reads it back. SCALE-Sim does not.
  if (dataflow != Dataflow::kOs && accounting == Accounting::kEdgesim) {
    s.ofmap_reads = s.ofmap_writes - (dataflow == Dataflow::kWs ? t * sc : sc * t);
  }
  return s;
}

namespace {

/// Python's sum() over floats: naive before 3.12, Neumaier-compensated from 3.12 on.
class PythonFloatSum {
 public:
  explicit PythonFloatSum(PythonSum kind) : compensated_(kind == PythonSum::kCompensated) {}
  void add(double x) {
    const double t = sum_ + x;
    if (compensated_) {
      correction_ += std::fabs(sum_) >= std::fabs(x) ? (sum_ - t) + x : (x - t) + sum_;
    }
    sum_ = t;
  }
  double value() const { return correction_ != 0 ? sum_ + correction_ : sum_; }

 private:
  bool compensated_;
  double sum_ = 0;
  double correction_ = 0;
};

}  // namespace

GemmMetrics gemm_metrics(const workloads::GemmShape& shape, std::uint32_t rows, std::uint32_t cols,
                         Dataflow dataflow, Accounting accounting, PythonSum python_sum) {
  GemmMetrics g;
  g.fold = fold_timing(shape, rows, cols, dataflow);
  g.groups = shape.groups;
  g.macs = shape.macs();
  const FoldTiming& f = g.fold;
  g.true_cycles = g.groups * f.cycles;
  g.compat_cycles = g.groups * (f.cycles - 1);
  const bool compat = accounting == Accounting::kScalesimCompat;
  g.reported_cycles = compat ? g.compat_cycles : g.true_cycles;
  const std::uint64_t pes = std::uint64_t{rows} * cols;
  // A single cycle reports as cycle 0 in compat mode, where SCALE-Sim divides by zero.
  g.overall_util_pct = g.reported_cycles == 0 ? 0.0
                                              : static_cast<double>(g.macs * 100) /
                                                    static_cast<double>(g.reported_cycles * pes);

  // SCALE-Sim averages per-fold ratios (outer loop over column folds, inner over row folds);
  // summing them in the same order keeps the printed digits identical. Groups are identical,
  // so the mean over all groups' folds equals the mean over one group's.
  std::uint64_t compute_length = f.cycles_per_fold;
  if (compat && dataflow != Dataflow::kOs)
    compute_length = 2 * std::uint64_t{rows} + 2 * cols + f.temporal - 3;
  PythonFloatSum mapping_sum(python_sum);
  PythonFloatSum compute_sum(python_sum);
  for (std::uint64_t fc = 0; fc < f.col_folds; ++fc) {
    const std::uint64_t cols_used = std::min<std::uint64_t>(cols, f.spatial_cols - fc * cols);
    for (std::uint64_t fr = 0; fr < f.row_folds; ++fr) {
      const std::uint64_t rows_used = std::min<std::uint64_t>(rows, f.spatial_rows - fr * rows);
      const std::uint64_t used = rows_used * cols_used;
      mapping_sum.add(static_cast<double>(used) / static_cast<double>(pes));
      compute_sum.add(static_cast<double>(used * f.temporal) /
                      static_cast<double>(pes * compute_length));
    }
  }
  g.mapping_efficiency_pct = mapping_sum.value() / static_cast<double>(f.folds) * 100;
  g.compute_util_pct = compute_sum.value() / static_cast<double>(f.folds) * 100;

  g.sram = sram_access_counts(f, rows, cols, dataflow, accounting);
  g.sram.ifmap_reads *= g.groups;
  g.sram.filter_reads *= g.groups;
  g.sram.ofmap_writes *= g.groups;
  g.sram.ofmap_reads *= g.groups;
  return g;
}

workloads::GemmShape ScalesimConvGeometry::gemm() const {
  workloads::GemmShape g;
  g.m = ofmap_h() * ofmap_w();
  g.n = filters;
  g.k = filter_h * filter_w * channels;
  return g;
}

namespace {

/// SCALE-Sim's im2col: window element `w` of ofmap pixel `p` lies inside the ifmap.
class IfmapValidity {
 public:
  explicit IfmapValidity(const ScalesimConvGeometry& g) : g_(g), ofmap_w_(g.ofmap_w()) {}
  bool operator()(std::uint64_t p, std::uint64_t w) const {
    const std::uint64_t row = (p / ofmap_w_) * g_.stride_h + w / (g_.filter_w * g_.channels);
    const std::uint64_t col =
        (p % ofmap_w_) * g_.stride_w + (w % (g_.filter_w * g_.channels)) / g_.channels;
    return row < g_.ifmap_h && col < g_.ifmap_w;
  }

 private:
  const ScalesimConvGeometry& g_;
  std::uint64_t ofmap_w_;
};

/// Smallest a + b over a < na, b < nb with valid(a, b), scanning anti-diagonals.
template <typename Valid>
std::optional<std::uint64_t> min_valid_sum(std::uint64_t na, std::uint64_t nb, Valid valid) {
  for (std::uint64_t s = 0; s + 1 < na + nb; ++s) {
    const std::uint64_t a_lo = s >= nb ? s - nb + 1 : 0;
    for (std::uint64_t a = a_lo; a <= std::min(s, na - 1); ++a) {
      if (valid(a, s - a)) return s;
    }
  }
  return std::nullopt;
}

/// Largest a + b over a < na, b < nb with valid(a, b).
template <typename Valid>
std::optional<std::uint64_t> max_valid_sum(std::uint64_t na, std::uint64_t nb, Valid valid) {
  for (std::uint64_t s = na + nb - 1; s-- > 0;) {
    const std::uint64_t a_lo = s >= nb ? s - nb + 1 : 0;
    for (std::uint64_t a = a_lo; a <= std::min(s, na - 1); ++a) {
      if (valid(a, s - a)) return s;
    }
  }
  return std::nullopt;
}

}  // namespace

SramAccessWindow scalesim_sram_window(const ScalesimConvGeometry& geometry, std::uint32_t rows,
                                      std::uint32_t cols, Dataflow dataflow) {
  const FoldTiming f = fold_timing(geometry.gemm(), rows, cols, dataflow);
  const IfmapValidity valid(geometry);
  const std::uint64_t r = rows, c = cols, t = f.temporal, length = f.cycles_per_fold;
  const auto rows_used = [&](std::uint64_t fr) { return std::min(r, f.spatial_rows - fr * r); };
  const auto cols_used = [&](std::uint64_t fc) { return std::min(c, f.spatial_cols - fc * c); };
  const std::uint64_t last_fr = f.row_folds - 1, last_fc = f.col_folds - 1;
  const std::uint64_t last_start = (f.folds - 1) * length;
  constexpr std::uint64_t kReadLatency = 1;  // SCALE-Sim's SRAM hit latency

  SramAccessWindow w;
  // Offset (within its fold) of the first / last ifmap request of fold (fc, fr), if any.
  std::function<std::optional<std::uint64_t>(std::uint64_t, std::uint64_t, bool)> ifmap_offset;
  switch (dataflow) {
    case Dataflow::kOs:
      // Array row i streams pixel fr*R + i, window element k at cycle k + i.
      ifmap_offset = [&](std::uint64_t, std::uint64_t fr, bool first) {
        const auto ok = [&](std::uint64_t i, std::uint64_t k) { return valid(fr * r + i, k); };
        return first ? min_valid_sum(rows_used(fr), t, ok) : max_valid_sum(rows_used(fr), t, ok);
      };
      w.filter_start = 0;
      w.filter_stop = last_start + (t - 1) + (cols_used(last_fc) - 1);
      w.ofmap_start = (t - 1) + (r - rows_used(0));
      w.ofmap_stop = last_start + (t - 1) + (r - 1) + (cols_used(last_fc) - 1);
      break;
    case Dataflow::kWs:
      // After R cycles of weight loading, row i streams window element fr*R + i of pixel p
      // at cycle R + p + i.
      ifmap_offset = [&](std::uint64_t, std::uint64_t fr,
                         bool first) -> std::optional<std::uint64_t> {
        const auto ok = [&](std::uint64_t i, std::uint64_t p) { return valid(p, fr * r + i); };
        auto s = first ? min_valid_sum(rows_used(fr), t, ok) : max_valid_sum(rows_used(fr), t, ok);
        if (s) *s += r;
        return s;
      };
      // Weights load bottom row first, one row per cycle.
      w.filter_start = r - rows_used(0);
      w.filter_stop = last_start + r - 1;
      w.ofmap_start = 2 * r - 1;
      w.ofmap_stop = last_start + 2 * r - 1 + (t - 1) + (cols_used(last_fc) - 1);
      break;
    case Dataflow::kIs:
      // The ifmap block loads bottom row first: cycle R - 1 - i loads window element fr*R + i
      // of pixels fc*C .. fc*C + C - 1.
      ifmap_offset = [&](std::uint64_t fc, std::uint64_t fr,
                         bool first) -> std::optional<std::uint64_t> {
        const std::uint64_t used_r = rows_used(fr), used_c = cols_used(fc);
        const auto row_valid = [&](std::uint64_t i) {
          for (std::uint64_t j = 0; j < used_c; ++j) {
            if (valid(fc * c + j, fr * r + i)) return true;
          }
          return false;
        };
        if (first) {
          for (std::uint64_t i = used_r; i-- > 0;) {
            if (row_valid(i)) return r - 1 - i;
          }
        } else {
          for (std::uint64_t i = 0; i < used_r; ++i) {
            if (row_valid(i)) return r - 1 - i;
          }
        }
        return std::nullopt;
      };
      w.filter_start = r;
      w.filter_stop = last_start + r + (t - 1) + (rows_used(last_fr) - 1);
      w.ofmap_start = 2 * r - 1;
      w.ofmap_stop = last_start + 2 * r - 1 + (t - 1) + (cols_used(last_fc) - 1);
      break;
  }
  // Folds run column fold outer, row fold inner; the first / last fold with a request wins.
  bool found = false;
  for (std::uint64_t index = 0; index < f.folds && !found; ++index) {
    if (auto offset = ifmap_offset(index / f.row_folds, index % f.row_folds, true)) {
      w.ifmap_start = index * length + *offset;
      found = true;
    }
  }
  found = false;
  for (std::uint64_t index = f.folds; index-- > 0 && !found;) {
    if (auto offset = ifmap_offset(index / f.row_folds, index % f.row_folds, false)) {
      w.ifmap_stop = index * length + *offset;
      found = true;
    }
  }
  w.ifmap_start += kReadLatency;
  w.ifmap_stop += kReadLatency;
  w.filter_start += kReadLatency;
  w.filter_stop += kReadLatency;
  return w;
}

}  // namespace models
