#include "models/pe_array/pe_array.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "models/common/tagged_transport.h"
#include "sim/core/timeline.h"

namespace models {

PeArray::PeArray(const sc_core::sc_module_name& name, const PeArrayParams& params,
                 sc_core::sc_time clock, sim::Stats& stats, sim::VcdWriter* vcd)
    : sc_module(name), params_(params), clock_(clock), vcd_(vcd) {
  const std::string prefix = std::string(this->name()) + ".";
  stats.add(prefix + "macs", macs_, sim::Unit::kCount, "multiply-accumulates performed");
  stats.add(prefix + "busy_cycles", busy_cycles_, sim::Unit::kCycles,
            "cycles the array was computing (fill, stream and drain of every fold)");
  stats.add(prefix + "folds", folds_, sim::Unit::kCount, "folds of operand matrices mapped");
  stats.add(prefix + "tiles", tiles_, sim::Unit::kCount, "tiles computed");
  stats.add(prefix + "used_pe_cycles", used_pe_cycles_, sim::Unit::kCount,
            "PE-cycles doing useful MACs");
  stats.add(prefix + "simulated_pe_cycles", simulated_pe_cycles_, sim::Unit::kCount,
            "PE-cycles stepped by the cycle-fidelity model (0 at tile fidelity)");
  if (vcd_ && params_.fidelity == "cycle" && vcd_->level() == sim::TraceLevel::kCycle &&
      vcd_->options().record_signals) {
    pe_tracer_ = std::make_unique<VcdPeTracer>(*vcd_, this->name(), params_.rows, params_.cols,
                                               params_.trace_row, params_.trace_col,
                                               static_cast<std::uint64_t>(clock_.value()));
  }
  if (vcd_) {
    vcd_busy_ = vcd_->add_signal(this->name(), "busy", 1);
    vcd_fold_ = vcd_->add_signal(this->name(), "fold_index", 32);
    vcd_util_ = vcd_->add_signal(this->name(), "fold_utilization_pct", 8);
    vcd_a_bits_ = vcd_->add_signal(this->name(), "a_bits", 8);
    vcd_w_bits_ = vcd_->add_signal(this->name(), "w_bits", 8);
    if (vcd_->timeline()) timeline_track_ = vcd_->timeline()->track(this->name());
  }
}

sc_core::sc_time PeArray::access(tlm::tlm_command command, std::uint64_t address,
                                 unsigned char* data, std::uint64_t length,
                                 workloads::TensorClass cls, std::uint32_t repeat,
                                 const TrafficTag& base) {
  TrafficTag tag = base;
  tag.cls = cls;
  tag.repeat = repeat;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  tagged_transport(local, payload_, command, address, data, length, tag, delay);
  const tlm::tlm_generic_payload& gp = payload_;
  EDGESIM_CHECK(!gp.is_response_error(),
                std::string(name()) + ": buffer access failed: " + gp.get_response_string());
  return delay;
}

std::uint64_t PeArray::run(const ComputeJob& job) {
  const workloads::GemmShape per_group{job.shape.m, job.shape.n, job.shape.k, 1};
  const FoldTiming timing = fold_timing(per_group, params_.rows, params_.cols, params_.dataflow);
  const std::uint64_t groups = job.shape.groups;
  // The precision mode stretches or shrinks the temporal stream of every fold; fill and drain
  // stay as they are.
  const double per_mac = cycles_per_mac(params_, job.b_format, job.a_format);
  const std::uint64_t per_fold = timing.cycles / timing.folds;
  const std::uint64_t stream =
      static_cast<std::uint64_t>(std::ceil(static_cast<double>(timing.temporal) * per_mac - 1e-9));
  const std::uint64_t cycles = timing.folds * (per_fold - timing.temporal + stream) * groups;

  // How often the array streams each operand tile from its buffer (re-reads across folds).
  std::uint32_t a_repeat = 1, b_repeat = 1, c_repeat = 1;
  switch (params_.dataflow) {
    case Dataflow::kOs:
      a_repeat = static_cast<std::uint32_t>(timing.col_folds);
      b_repeat = static_cast<std::uint32_t>(timing.row_folds);
      break;
    case Dataflow::kWs:
      a_repeat = static_cast<std::uint32_t>(timing.col_folds);
      c_repeat = static_cast<std::uint32_t>(timing.row_folds);
      break;
    case Dataflow::kIs:
      b_repeat = static_cast<std::uint32_t>(timing.col_folds);
      c_repeat = static_cast<std::uint32_t>(timing.row_folds);
      break;
  }
  std::vector<unsigned char> a, b, c;
  unsigned char* a_data = nullptr;
  unsigned char* b_data = nullptr;
  unsigned char* c_data = nullptr;
  if (job.functional) {
    a.resize(job.a_bytes);
    b.resize(job.b_bytes);
    c.resize(job.c_bytes);
    a_data = a.data();
    b_data = b.data();
    c_data = c.data();
  }
  sc_core::sc_time port_time = access(tlm::TLM_READ_COMMAND, job.a_address, a_data, job.a_bytes,
                                      job.a_class, a_repeat, job.tag);
  port_time = std::max(port_time, access(tlm::TLM_READ_COMMAND, job.b_address, b_data, job.b_bytes,
                                         job.b_class, b_repeat, job.tag));
  sc_core::sc_time c_time = sc_core::SC_ZERO_TIME;
  if (job.accumulate) {
    c_time += access(tlm::TLM_READ_COMMAND, job.c_address, c_data, job.c_bytes,
                     workloads::TensorClass::kPsum, 1, job.tag);
  }
  std::uint64_t compute_cycles = cycles;
  if (params_.fidelity == "cycle") {
    // Every PE stepped cycle by cycle; with real data the product comes out of the registers.
    if (pe_tracer_)
      pe_tracer_->set_start_ps(static_cast<std::uint64_t>(sc_core::sc_time_stamp().value()));
    const CycleRunResult rtl = run_gemm_cycles(
        job.shape, params_.rows, params_.cols, params_.dataflow,
        reinterpret_cast<const std::int8_t*>(a_data), reinterpret_cast<const std::int8_t*>(b_data),
        reinterpret_cast<std::int32_t*>(c_data), pe_tracer_.get(), job.accumulate);
    compute_cycles = rtl.cycles;
    simulated_pe_cycles_ += rtl.pe_cycles;
  } else if (job.functional) {
    // Reference integer product of the tile; operands are int8, partial sums int32.
    auto* out = reinterpret_cast<std::int32_t*>(c_data);
    const auto* lhs = reinterpret_cast<const std::int8_t*>(a_data);
    const auto* rhs = reinterpret_cast<const std::int8_t*>(b_data);
    const std::uint64_t m = job.shape.m, n = job.shape.n, k = job.shape.k;
    for (std::uint64_t i = 0; i < m; ++i) {
      for (std::uint64_t j = 0; j < n; ++j) {
        std::int32_t sum = job.accumulate ? out[i * n + j] : 0;
        for (std::uint64_t x = 0; x < k; ++x) sum += lhs[i * k + x] * rhs[x * n + j];
        out[i * n + j] = sum;
      }
    }
  }
  c_time += access(tlm::TLM_WRITE_COMMAND, job.c_address, c_data, job.c_bytes,
                   workloads::TensorClass::kPsum, c_repeat, job.tag);
  port_time = std::max(port_time, c_time);

  // The array computes while operands stream; a buffer port too narrow to keep up stretches
  // the tile.
  const sc_core::sc_time duration =
      std::max(clock_ * static_cast<double>(compute_cycles), port_time);
  const auto duration_cycles = static_cast<std::uint64_t>(duration / clock_ + 0.5);
  macs_ += job.shape.macs();
  folds_ += timing.folds * groups;
  ++tiles_;
  busy_cycles_ += duration_cycles;
  used_pe_cycles_ += job.shape.macs();
  if (vcd_) {
    const auto start = static_cast<std::uint64_t>(sc_core::sc_time_stamp().value());
    vcd_->change(vcd_busy_, start, 1);
    vcd_->change(vcd_fold_, start, folds_);
    vcd_->change(vcd_util_, start,
                 static_cast<std::uint64_t>(timing.mapping_efficiency * 100.0 + 0.5));
    vcd_->change(vcd_a_bits_, start, job.a_format.bits);
    vcd_->change(vcd_w_bits_, start, job.b_format.bits);
    vcd_->change(vcd_busy_, start + static_cast<std::uint64_t>(duration.value()), 0);
    if (vcd_->timeline()) {
      vcd_->timeline()->slice(timeline_track_, "tile", start,
                              start + static_cast<std::uint64_t>(duration.value()),
                              {{"macs", job.shape.macs()},
                               {"cycles", duration_cycles},
                               {"folds", timing.folds * groups},
                               {"layer", job.tag.layer}});
    }
  }
  sc_core::wait(duration);
  return duration_cycles;
}

}  // namespace models
