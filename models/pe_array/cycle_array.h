#pragma once
// Cycle fidelity of the systolic PE array: a register-transfer model in plain C++ (no kernel).
// Every PE is a clocked element whose registers take their neighbours' values each cycle:
//   - os: the ifmap moves right along the rows, the filter moves down the columns, each PE
//     accumulates its own output in place and puts it on its row's output bus on its last
//     MAC (the skew makes the PEs of a row finish on consecutive cycles, one per cycle);
//   - ws / is: the stationary operand (weights / ifmap) shifts down the columns for R cycles,
//     bottom row first, and is latched; the streamed operand moves right along the rows and
//     the partial sums move down the columns, leaving at the bottom edge into the ofmap SRAM.
//     A reduction split over row folds reads the previous partial sum back at the top edge.
// The sequencer is data-oblivious: a fold lasts until the skewed wavefront has passed the
// last PE, also when only part of the array is used. The cycle counts and SRAM accesses that
// come out equal fold_timing() and sram_access_counts(kEdgesim) (tested).

#include <cstdint>
#include <string>
#include <vector>

#include "models/pe_array/systolic_model.h"
#include "sim/core/vcd_writer.h"
#include "workloads/network/network.h"

namespace models {

/// Register contents of one PE at the end of a cycle.
struct PeSignals {
  bool h_valid = false;  // operand moving right (os, ws: ifmap; is: filter)
  std::int8_t h_data = 0;
  bool v_valid = false;  // operand moving down (os: filter; ws/is: stationary operand loading)
  std::int8_t v_data = 0;
  bool stationary_valid = false;  // ws/is: the resident operand
  std::int8_t stationary = 0;
  bool psum_valid = false;  // os: accumulator busy; ws/is: a partial sum passes this PE
  std::int32_t psum = 0;
  bool mac = false;  // a multiply-accumulate with two valid operands happened this cycle
};

class SystolicArrayRtl;

/// Read access to the array's registers, handed to a CycleTraceHook once per cycle.
class PeArrayState {
 public:
  explicit PeArrayState(const SystolicArrayRtl& array) : array_(array) {}
  std::uint32_t rows() const;
  std::uint32_t cols() const;
  /// The fold being run (counted over all groups).
  std::uint64_t fold() const;
  PeSignals pe(std::uint32_t row, std::uint32_t col) const;

 private:
  const SystolicArrayRtl& array_;
};

/// Receives the array's state after every cycle of run_gemm_cycles.
class CycleTraceHook {
 public:
  virtual ~CycleTraceHook() = default;
  /// `cycle` counts from the start of the GEMM (0-based).
  virtual void on_cycle(std::uint64_t cycle, const PeArrayState& state) const = 0;
};

/// Records the PEs of one row and one column as VCD signals, scope `<scope>.pe_r<i>_c<j>`:
/// h_valid, h_data, v_valid, v_data, stationary_valid, stationary, psum_valid, psum, mac;
/// plus `<scope>.fold`. Time of cycle n is start_ps + n x period_ps.
class VcdPeTracer : public CycleTraceHook {
 public:
  VcdPeTracer(sim::VcdWriter& vcd, const std::string& scope, std::uint32_t rows, std::uint32_t cols,
              std::uint32_t trace_row, std::uint32_t trace_col, std::uint64_t period_ps);
  /// Sets the time of cycle 0 of the next run_gemm_cycles call.
  void set_start_ps(std::uint64_t start_ps) { start_ps_ = start_ps; }
  void on_cycle(std::uint64_t cycle, const PeArrayState& state) const override;

 private:
  struct TracedPe {
    std::uint32_t row, col;
    sim::VcdWriter::SignalId first;  // nine consecutive signals
  };
  sim::VcdWriter& vcd_;
  std::vector<TracedPe> pes_;
  sim::VcdWriter::SignalId fold_signal_;
  std::uint64_t period_ps_;
  std::uint64_t start_ps_ = 0;
};

/// What one GEMM did at cycle fidelity.
struct CycleRunResult {
  std::uint64_t cycles = 0;     // all groups, folds back to back
  std::uint64_t folds = 0;      // all groups
  std::uint64_t macs = 0;       // MACs with two valid operands (= m x n x k x groups)
  std::uint64_t pe_cycles = 0;  // cycles x rows x cols, the work the model simulated
  SramAccessCounts sram;        // what crossed the array's edges
};

/// Runs `shape` on an R x C array cycle by cycle. With `a` (groups x m x k, row-major),
/// `b` (groups x k x n) and `c` (groups x m x n) all given, real int8 operands flow through the
/// registers with int32 accumulation and `c` receives the product; with all three null only
/// valid bits and counts are simulated. `hook` (nullable) sees every cycle. With `accumulate`
/// the product is added to the partial sums already in `c` (a tile of a longer reduction):
/// every output is read once more from the ofmap SRAM (m x n x groups ofmap_reads on top of
/// sram_access_counts) and the cycle count does not change.
CycleRunResult run_gemm_cycles(const workloads::GemmShape& shape, std::uint32_t rows,
                               std::uint32_t cols, Dataflow dataflow, const std::int8_t* a,
                               const std::int8_t* b, std::int32_t* c, const CycleTraceHook* hook,
                               bool accumulate = false);

/// Reference product c = a x b per group (layouts as run_gemm_cycles), int32 accumulation.
void reference_gemm(const workloads::GemmShape& shape, const std::int8_t* a, const std::int8_t* b,
                    std::int32_t* c);

}  // namespace models
