#include "models/pe_array/cycle_array.h"

#include <algorithm>

#include "sim/core/config.h"

namespace models {

namespace {

// Control bits carried with every operand and partial-sum register.
constexpr std::uint8_t kValid = 1;  // the register holds an operand of a used row / column
constexpr std::uint8_t kSlot = 2;   // the wavefront passes: set for used and unused PEs alike
constexpr std::uint8_t kLast = 4;   // the last element of the fold's temporal stream

}  // namespace

/// Registers of every PE, structure-of-arrays (index row x cols + col).
class SystolicArrayRtl {
 public:
  SystolicArrayRtl(std::uint32_t rows, std::uint32_t cols)
      : rows_(rows),
        cols_(cols),
        h_flags_(std::size_t{rows} * cols),
        h_data_(h_flags_.size()),
        v_flags_(h_flags_.size()),
        v_data_(h_flags_.size()),
        st_valid_(h_flags_.size()),
        st_data_(h_flags_.size()),
        ps_flags_(h_flags_.size()),
        ps_(h_flags_.size()),
        mac_(h_flags_.size()),
        count_(h_flags_.size()),
        edge_h_flags_(rows),
        edge_h_data_(rows),
        edge_v_flags_(cols),
        edge_v_data_(cols),
        edge_ps_flags_(cols),
        edge_ps_(cols) {}

  /// One output-stationary fold; returns its cycle count.
  std::uint64_t run_os_fold(std::uint64_t temporal, std::uint64_t p0, std::uint64_t f0,
                            std::uint32_t rows_used, std::uint32_t cols_used, const std::int8_t* a,
                            const std::int8_t* b, std::int32_t* c, std::uint64_t k, std::uint64_t n,
                            bool accumulate, std::uint64_t cycle_base, const CycleTraceHook* hook,
                            CycleRunResult& result);

  /// One weight- or input-stationary fold; returns its cycle count. `Map` gives the
  /// stationary element (i, j), the streamed element (i, x) and the output index (x, j).
  template <typename Map>
  std::uint64_t run_stationary_fold(std::uint64_t temporal, std::uint32_t rows_used,
                                    std::uint32_t cols_used, bool first_reduction_fold,
                                    const Map& map, std::int32_t* c,
                                    std::uint64_t& stationary_reads, std::uint64_t& stream_reads,
                                    std::uint64_t cycle_base, const CycleTraceHook* hook,
                                    CycleRunResult& result);

  std::uint32_t rows_, cols_;
  std::uint64_t fold_ = 0;
  std::vector<std::uint8_t> h_flags_;
  std::vector<std::int8_t> h_data_;
  std::vector<std::uint8_t> v_flags_;
  std::vector<std::int8_t> v_data_;
  std::vector<std::uint8_t> st_valid_;
  std::vector<std::int8_t> st_data_;
  std::vector<std::uint8_t> ps_flags_;
  std::vector<std::int32_t> ps_;
  std::vector<std::uint8_t> mac_;
  std::vector<std::uint64_t> count_;  // os: MACs accumulated into the current output
  std::vector<std::uint8_t> edge_h_flags_;
  std::vector<std::int8_t> edge_h_data_;
  std::vector<std::uint8_t> edge_v_flags_;
  std::vector<std::int8_t> edge_v_data_;
  std::vector<std::uint8_t> edge_ps_flags_;
  std::vector<std::int32_t> edge_ps_;
};

std::uint64_t SystolicArrayRtl::run_os_fold(std::uint64_t temporal, std::uint64_t p0,
                                            std::uint64_t f0, std::uint32_t rows_used,
                                            std::uint32_t cols_used, const std::int8_t* a,
                                            const std::int8_t* b, std::int32_t* c, std::uint64_t k,
                                            std::uint64_t n, bool accumulate,
                                            std::uint64_t cycle_base, const CycleTraceHook* hook,
                                            CycleRunResult& result) {
  const std::uint32_t rows = rows_, cols = cols_;
  const PeArrayState state(*this);
  for (std::uint64_t t = 0;; ++t) {
    // Row i streams pixel p0 + i, window element t - i; column j filter f0 + j likewise.
    for (std::uint32_t i = 0; i < rows; ++i) {
      std::uint8_t flags = 0;
      std::int8_t data = 0;
      if (t >= i && t - i < temporal) {
        const std::uint64_t kk = t - i;
        flags = kSlot | (kk + 1 == temporal ? kLast : 0);
        if (i < rows_used) {
          flags |= kValid;
          ++result.sram.ifmap_reads;
          if (a != nullptr) data = a[(p0 + i) * k + kk];
        }
      }
      edge_h_flags_[i] = flags;
      edge_h_data_[i] = data;
    }
    for (std::uint32_t j = 0; j < cols; ++j) {
      std::uint8_t flags = 0;
      std::int8_t data = 0;
      if (t >= j && t - j < temporal) {
        const std::uint64_t kk = t - j;
        flags = kSlot | (kk + 1 == temporal ? kLast : 0);
        if (j < cols_used) {
          flags |= kValid;
          ++result.sram.filter_reads;
          if (b != nullptr) data = b[kk * n + f0 + j];
        }
      }
      edge_v_flags_[j] = flags;
      edge_v_data_[j] = data;
    }
    // Update from the bottom-right corner so every PE still sees its neighbours' old values.
    bool done = false;
    for (std::uint32_t i = rows; i-- > 0;) {
      for (std::uint32_t j = cols; j-- > 0;) {
        const std::size_t idx = std::size_t{i} * cols + j;
        const std::uint8_t hf = j == 0 ? edge_h_flags_[i] : h_flags_[idx - 1];
        const std::int8_t hd = j == 0 ? edge_h_data_[i] : h_data_[idx - 1];
        const std::uint8_t vf = i == 0 ? edge_v_flags_[j] : v_flags_[idx - cols];
        const std::int8_t vd = i == 0 ? edge_v_data_[j] : v_data_[idx - cols];
        h_flags_[idx] = hf;
        h_data_[idx] = hd;
        v_flags_[idx] = vf;
        v_data_[idx] = vd;
        const bool mac = (hf & vf & kValid) != 0;
        mac_[idx] = mac;
        if (mac) {
          const std::int32_t product = std::int32_t{hd} * std::int32_t{vd};
          std::int32_t base = ps_[idx];
          if (count_[idx] == 0) {
            // First MAC of this output: start from 0, or from the partial sum in the SRAM.
            base = 0;
            if (accumulate) {
              ++result.sram.ofmap_reads;
              if (c != nullptr) base = c[(p0 + i) * n + f0 + j];
            }
          }
          ps_[idx] = base + product;
          ps_flags_[idx] = kValid;
          ++result.macs;
          if (++count_[idx] == temporal) {
            // Last MAC of this output: the adder's result goes onto the row's output bus.
            ++result.sram.ofmap_writes;
            if (c != nullptr) c[(p0 + i) * n + f0 + j] = ps_[idx];
            count_[idx] = 0;
            ps_flags_[idx] = 0;
          }
        }
        if ((hf & vf & kLast) != 0 && i + 1 == rows && j + 1 == cols) done = true;
      }
    }
    if (hook != nullptr) hook->on_cycle(cycle_base + t, state);
    if (done) return t + 1;
    EDGESIM_CHECK(t < 4 * (std::uint64_t{rows} + cols + temporal), "os fold did not finish");
  }
}

template <typename Map>
std::uint64_t SystolicArrayRtl::run_stationary_fold(
    std::uint64_t temporal, std::uint32_t rows_used, std::uint32_t cols_used,
    bool first_reduction_fold, const Map& map, std::int32_t* c, std::uint64_t& stationary_reads,
    std::uint64_t& stream_reads, std::uint64_t cycle_base, const CycleTraceHook* hook,
    CycleRunResult& result) {
  const std::uint32_t rows = rows_, cols = cols_;
  const PeArrayState state(*this);
  for (std::uint64_t t = 0;; ++t) {
    // Load: for R cycles the column tops take the stationary block, bottom row first.
    for (std::uint32_t j = 0; j < cols; ++j) {
      std::uint8_t flags = 0;
      std::int8_t data = 0;
      if (t < rows) {
        const std::uint32_t target = rows - 1 - static_cast<std::uint32_t>(t);
        flags = kSlot;
        if (target < rows_used && j < cols_used) {
          flags |= kValid;
          ++stationary_reads;
          data = map.stationary(target, j);
        }
      }
      edge_v_flags_[j] = flags;
      edge_v_data_[j] = data;
      // Partial sums enter the column top: 0, or the previous reduction fold's result.
      std::uint8_t ps_flags = 0;
      std::int32_t ps = 0;
      if (t >= rows + j && t - rows - j < temporal) {
        const std::uint64_t x = t - rows - j;
        ps_flags = kSlot | (x + 1 == temporal ? kLast : 0);
        if (j < cols_used) {
          ps_flags |= kValid;
          if (!first_reduction_fold) {
            ++result.sram.ofmap_reads;
            if (c != nullptr) ps = c[map.output(x, j)];
          }
        }
      }
      edge_ps_flags_[j] = ps_flags;
      edge_ps_[j] = ps;
    }
    // Stream: row i takes element x = t - R - i of its temporal operand.
    for (std::uint32_t i = 0; i < rows; ++i) {
      std::uint8_t flags = 0;
      std::int8_t data = 0;
      if (t >= rows + i && t - rows - i < temporal) {
        const std::uint64_t x = t - rows - i;
        flags = kSlot | (x + 1 == temporal ? kLast : 0);
        if (i < rows_used) {
          flags |= kValid;
          ++stream_reads;
          data = map.stream(i, x);
        }
      }
      edge_h_flags_[i] = flags;
      edge_h_data_[i] = data;
    }
    bool done = false;
    for (std::uint32_t i = rows; i-- > 0;) {
      for (std::uint32_t j = cols; j-- > 0;) {
        const std::size_t idx = std::size_t{i} * cols + j;
        const std::uint8_t hf = j == 0 ? edge_h_flags_[i] : h_flags_[idx - 1];
        const std::int8_t hd = j == 0 ? edge_h_data_[i] : h_data_[idx - 1];
        const std::uint8_t vf = i == 0 ? edge_v_flags_[j] : v_flags_[idx - cols];
        const std::int8_t vd = i == 0 ? edge_v_data_[j] : v_data_[idx - cols];
        const std::uint8_t pf = i == 0 ? edge_ps_flags_[j] : ps_flags_[idx - cols];
        const std::int32_t pv = i == 0 ? edge_ps_[j] : ps_[idx - cols];
        h_flags_[idx] = hf;
        h_data_[idx] = hd;
        v_flags_[idx] = vf;
        v_data_[idx] = vd;
        const bool mac = (hf & kValid) != 0 && st_valid_[idx] != 0 && (pf & kSlot) != 0;
        mac_[idx] = mac;
        ps_flags_[idx] = pf;
        if ((pf & kSlot) != 0) {
          ps_[idx] = mac ? pv + std::int32_t{hd} * std::int32_t{st_data_[idx]} : pv;
          if (mac) ++result.macs;
          if (i + 1 == rows) {
            // Bottom edge: the column's finished partial sum goes to the ofmap SRAM.
            if ((pf & kValid) != 0) {
              ++result.sram.ofmap_writes;
              if (c != nullptr) c[map.output(t - 2 * std::uint64_t{rows} + 1 - j, j)] = ps_[idx];
            }
            if ((pf & kLast) != 0 && j + 1 == cols) done = true;
          }
        }
      }
    }
    // End of the load: the sequencer's strobe latches the shifted block into every PE.
    if (t + 1 == rows) {
      for (std::size_t idx = 0; idx < v_flags_.size(); ++idx) {
        st_valid_[idx] = v_flags_[idx] & kValid;
        st_data_[idx] = v_data_[idx];
      }
    }
    if (hook != nullptr) hook->on_cycle(cycle_base + t, state);
    if (done) return t + 1;
    EDGESIM_CHECK(t < 4 * (2 * std::uint64_t{rows} + cols + temporal), "fold did not finish");
  }
}

std::uint32_t PeArrayState::rows() const { return array_.rows_; }
std::uint32_t PeArrayState::cols() const { return array_.cols_; }
std::uint64_t PeArrayState::fold() const { return array_.fold_; }

PeSignals PeArrayState::pe(std::uint32_t row, std::uint32_t col) const {
  const std::size_t idx = std::size_t{row} * array_.cols_ + col;
  PeSignals s;
  s.h_valid = (array_.h_flags_[idx] & kValid) != 0;
  s.h_data = array_.h_data_[idx];
  s.v_valid = (array_.v_flags_[idx] & kValid) != 0;
  s.v_data = array_.v_data_[idx];
  s.stationary_valid = array_.st_valid_[idx] != 0;
  s.stationary = array_.st_data_[idx];
  s.psum_valid = (array_.ps_flags_[idx] & kValid) != 0;
  s.psum = array_.ps_[idx];
  s.mac = array_.mac_[idx] != 0;
  return s;
}

namespace {

// Weight stationary: rows hold window elements k0 + i, columns filters f0 + j; the ifmap
// streams pixel x; outputs (x, f0 + j).
struct WsMap {
  const std::int8_t* a;
  const std::int8_t* b;
  std::uint64_t k, n, k0, f0;
  std::int8_t stationary(std::uint32_t i, std::uint32_t j) const {
    return b != nullptr ? b[(k0 + i) * n + f0 + j] : 0;
  }
  std::int8_t stream(std::uint32_t i, std::uint64_t x) const {
    return a != nullptr ? a[x * k + k0 + i] : 0;
  }
  std::uint64_t output(std::uint64_t x, std::uint32_t j) const { return x * n + f0 + j; }
};

// Input stationary: rows hold window elements k0 + i, columns pixels p0 + j; the filters
// stream filter x; outputs (p0 + j, x).
struct IsMap {
  const std::int8_t* a;
  const std::int8_t* b;
  std::uint64_t k, n, k0, p0;
  std::int8_t stationary(std::uint32_t i, std::uint32_t j) const {
    return a != nullptr ? a[(p0 + j) * k + k0 + i] : 0;
  }
  std::int8_t stream(std::uint32_t i, std::uint64_t x) const {
    return b != nullptr ? b[(k0 + i) * n + x] : 0;
  }
  std::uint64_t output(std::uint64_t x, std::uint32_t j) const { return (p0 + j) * n + x; }
};

}  // namespace

CycleRunResult run_gemm_cycles(const workloads::GemmShape& shape, std::uint32_t rows,
                               std::uint32_t cols, Dataflow dataflow, const std::int8_t* a,
                               const std::int8_t* b, std::int32_t* c, const CycleTraceHook* hook,
                               bool accumulate) {
  EDGESIM_CHECK(rows > 0 && cols > 0, "run_gemm_cycles needs a non-empty array");
  const bool functional = a != nullptr && b != nullptr && c != nullptr;
  EDGESIM_CHECK(functional || (a == nullptr && b == nullptr && c == nullptr),
                "run_gemm_cycles takes all of a, b, c or none");
  SystolicArrayRtl array(rows, cols);
  CycleRunResult result;
  const FoldTiming f = fold_timing(shape, rows, cols, dataflow);
  const std::uint64_t m = shape.m, n = shape.n, k = shape.k;
  for (std::uint64_t g = 0; g < shape.groups; ++g) {
    const std::int8_t* ga = functional ? a + g * m * k : nullptr;
    const std::int8_t* gb = functional ? b + g * k * n : nullptr;
    std::int32_t* gc = functional ? c + g * m * n : nullptr;
    // Column folds outer, row folds inner (SCALE-Sim's order): the row folds of a reduction
    // follow each other, so a partial sum is read back right after it was written.
    for (std::uint64_t fc = 0; fc < f.col_folds; ++fc) {
      const auto cols_used =
          static_cast<std::uint32_t>(std::min<std::uint64_t>(cols, f.spatial_cols - fc * cols));
      for (std::uint64_t fr = 0; fr < f.row_folds; ++fr) {
        const auto rows_used =
            static_cast<std::uint32_t>(std::min<std::uint64_t>(rows, f.spatial_rows - fr * rows));
        switch (dataflow) {
          case Dataflow::kOs:
            result.cycles +=
                array.run_os_fold(k, fr * rows, fc * cols, rows_used, cols_used, ga, gb, gc, k, n,
                                  accumulate, result.cycles, hook, result);
            break;
          case Dataflow::kWs: {
            const WsMap map{ga, gb, k, n, fr * rows, fc * cols};
            result.cycles += array.run_stationary_fold(
                m, rows_used, cols_used, fr == 0 && !accumulate, map, gc, result.sram.filter_reads,
                result.sram.ifmap_reads, result.cycles, hook, result);
            break;
          }
          case Dataflow::kIs: {
            const IsMap map{ga, gb, k, n, fr * rows, fc * cols};
            result.cycles += array.run_stationary_fold(
                n, rows_used, cols_used, fr == 0 && !accumulate, map, gc, result.sram.ifmap_reads,
                result.sram.filter_reads, result.cycles, hook, result);
            break;
          }
        }
        ++result.folds;
        ++array.fold_;
      }
    }
  }
  result.pe_cycles = result.cycles * rows * cols;
  return result;
}

void reference_gemm(const workloads::GemmShape& shape, const std::int8_t* a, const std::int8_t* b,
                    std::int32_t* c) {
  const std::uint64_t m = shape.m, n = shape.n, k = shape.k;
  for (std::uint64_t g = 0; g < shape.groups; ++g) {
    const std::int8_t* ga = a + g * m * k;
    const std::int8_t* gb = b + g * k * n;
    std::int32_t* gc = c + g * m * n;
    for (std::uint64_t i = 0; i < m; ++i) {
      for (std::uint64_t j = 0; j < n; ++j) {
        std::int32_t sum = 0;
        for (std::uint64_t kk = 0; kk < k; ++kk) {
          sum += std::int32_t{ga[i * k + kk]} * std::int32_t{gb[kk * n + j]};
        }
        gc[i * n + j] = sum;
      }
    }
  }
}

VcdPeTracer::VcdPeTracer(sim::VcdWriter& vcd, const std::string& scope, std::uint32_t rows,
                         std::uint32_t cols, std::uint32_t trace_row, std::uint32_t trace_col,
                         std::uint64_t period_ps)
    : vcd_(vcd), period_ps_(period_ps) {
  EDGESIM_CHECK(trace_row < rows && trace_col < cols, "traced PE outside the array");
  fold_signal_ = vcd_.add_signal(scope, "fold", 32);
  const auto add_pe = [&](std::uint32_t i, std::uint32_t j) {
    const std::string pe_scope = scope + ".pe_r" + std::to_string(i) + "_c" + std::to_string(j);
    TracedPe pe{i, j, vcd_.add_signal(pe_scope, "h_valid", 1)};
    vcd_.add_signal(pe_scope, "h_data", 8);
    vcd_.add_signal(pe_scope, "v_valid", 1);
    vcd_.add_signal(pe_scope, "v_data", 8);
    vcd_.add_signal(pe_scope, "stationary_valid", 1);
    vcd_.add_signal(pe_scope, "stationary", 8);
    vcd_.add_signal(pe_scope, "psum_valid", 1);
    vcd_.add_signal(pe_scope, "psum", 32);
    vcd_.add_signal(pe_scope, "mac", 1);
    pes_.push_back(pe);
  };
  for (std::uint32_t j = 0; j < cols; ++j) add_pe(trace_row, j);
  for (std::uint32_t i = 0; i < rows; ++i) {
    if (i != trace_row) add_pe(i, trace_col);
  }
}

void VcdPeTracer::on_cycle(std::uint64_t cycle, const PeArrayState& state) const {
  const std::uint64_t time = start_ps_ + cycle * period_ps_;
  vcd_.change(fold_signal_, time, state.fold());
  for (const TracedPe& pe : pes_) {
    const PeSignals s = state.pe(pe.row, pe.col);
    sim::VcdWriter::SignalId id = pe.first;
    vcd_.change(id++, time, s.h_valid);
    vcd_.change(id++, time, static_cast<std::uint8_t>(s.h_data));
    vcd_.change(id++, time, s.v_valid);
    vcd_.change(id++, time, static_cast<std::uint8_t>(s.v_data));
    vcd_.change(id++, time, s.stationary_valid);
    vcd_.change(id++, time, static_cast<std::uint8_t>(s.stationary));
    vcd_.change(id++, time, s.psum_valid);
    vcd_.change(id++, time, static_cast<std::uint32_t>(s.psum));
    vcd_.change(id, time, s.mac);
  }
}

}  // namespace models
