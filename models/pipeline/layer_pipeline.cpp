#include "models/pipeline/layer_pipeline.h"

#include "sim/core/config.h"
#include "sim/core/timeline.h"

namespace models {

namespace {

std::uint64_t cycles_between(const sc_core::sc_time& from, const sc_core::sc_time& to,
                             const sc_core::sc_time& clock) {
  return static_cast<std::uint64_t>((to - from) / clock + 0.5);
}

}  // namespace

RowFifo::RowFifo(const sc_core::sc_module_name& name, std::uint64_t depth_rows,
                 sc_core::sc_time clock, sim::Stats& stats, sim::VcdWriter* vcd)
    : sc_module(name), depth_(depth_rows), clock_(clock), vcd_(vcd) {
  if (vcd_) vcd_occupancy_ = vcd_->add_signal(this->name(), "occupancy_rows", 32);
  EDGESIM_CHECK(depth_ > 0, "a row FIFO needs a depth of at least one row");
  const std::string prefix = std::string(this->name()) + ".";
  stats.add(prefix + "max_occupancy_rows", max_occupancy_, sim::Unit::kCount,
            "most rows held at once");
  stats.add(prefix + "full_stall_cycles", full_stall_cycles_, sim::Unit::kCycles,
            "producer cycles blocked on a full FIFO");
  stats.add(prefix + "rows", rows_, sim::Unit::kCount, "rows that passed through");
}

void RowFifo::put(const RowToken& token) {
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  while (tokens_.size() >= depth_) wait(freed_);
  full_stall_cycles_ += cycles_between(start, sc_core::sc_time_stamp(), clock_);
  tokens_.push_back(token);
  ++rows_;
  max_occupancy_ = std::max<std::uint64_t>(max_occupancy_, tokens_.size());
  if (vcd_) vcd_->change(vcd_occupancy_, sc_core::sc_time_stamp().value(), tokens_.size());
  written_.notify(sc_core::SC_ZERO_TIME);
}

RowToken RowFifo::get() {
  while (tokens_.empty()) wait(written_);
  const RowToken token = tokens_.front();
  tokens_.pop_front();
  if (vcd_) vcd_->change(vcd_occupancy_, sc_core::sc_time_stamp().value(), tokens_.size());
  freed_.notify(sc_core::SC_ZERO_TIME);
  return token;
}

StageEngine::StageEngine(const sc_core::sc_module_name& name, EngineSpec spec, std::uint32_t frames,
                         sc_core::sc_time clock, RowFifo& in, RowFifo& out, sim::Stats& stats,
                         sim::VcdWriter* vcd)
    : sc_module(name),
      spec_(std::move(spec)),
      frames_(frames),
      clock_(clock),
      in_(in),
      out_(out),
      vcd_(vcd) {
  if (vcd_) {
    vcd_busy_ = vcd_->add_signal(this->name(), "busy", 1);
    vcd_stalled_ = vcd_->add_signal(this->name(), "output_stalled", 1);
    vcd_frame_ = vcd_->add_signal(this->name(), "frame", 32, sim::TraceLevel::kLayer);
    if (vcd_->timeline(sim::TraceLevel::kLayer)) {
      track_ = vcd_->timeline(sim::TraceLevel::kLayer)->track(this->name());
    }
  }
  EDGESIM_CHECK(!spec_.need_in.empty() && spec_.need_in.size() == spec_.emit_after.size() &&
                    spec_.need_in.size() == spec_.unit_cycles.size(),
                "engine " + spec_.name + ": per-unit vectors of different lengths");
  const std::string prefix = std::string(this->name()) + ".";
  stats.add(prefix + "busy_cycles", busy_cycles_, sim::Unit::kCycles, "cycles computing");
  stats.add(prefix + "input_wait_cycles", input_wait_cycles_, sim::Unit::kCycles,
            "cycles waiting for input rows");
  stats.add(prefix + "output_stall_cycles", output_stall_cycles_, sim::Unit::kCycles,
            "cycles blocked on a full output FIFO");
  stats.add(prefix + "macs", macs_, sim::Unit::kCount, "multiply-accumulates");
  stats.add(prefix + "rows_in", rows_in_, sim::Unit::kCount, "input rows consumed");
  stats.add(prefix + "rows_out", rows_out_, sim::Unit::kCount, "output rows produced");
  stats.add(prefix + "frames", frames_done_, sim::Unit::kCount, "frames finished");
  SC_HAS_PROCESS(StageEngine);
  SC_THREAD(run);
}

void StageEngine::run() {
  const std::size_t units = spec_.need_in.size();
  std::uint64_t total_cycles = 0;
  for (const auto c : spec_.unit_cycles) total_cycles += c;
  for (std::uint32_t frame = 0; frame < frames_; ++frame) {
    std::uint32_t consumed = 0, emitted = 0;
    std::uint64_t frame_macs = 0;
    std::uint64_t frame_start_ps = 0, frame_busy = 0, frame_stall = 0;
    for (std::size_t u = 0; u < units; ++u) {
      const sc_core::sc_time wait_start = sc_core::sc_time_stamp();
      while (consumed < spec_.need_in[u]) {
        in_.get();
        ++consumed;
        ++rows_in_;
      }
      input_wait_cycles_ += cycles_between(wait_start, sc_core::sc_time_stamp(), clock_);
      if (u == 0) {
        frame_start_ps = sc_core::sc_time_stamp().value();
        if (vcd_) vcd_->change(vcd_frame_, frame_start_ps, frame);
      }
      if (vcd_) vcd_->change(vcd_busy_, sc_core::sc_time_stamp().value(), 1);
      if (spec_.unit_cycles[u] > 0) wait(clock_ * static_cast<double>(spec_.unit_cycles[u]));
      if (vcd_) vcd_->change(vcd_busy_, sc_core::sc_time_stamp().value(), 0);
      busy_cycles_ += spec_.unit_cycles[u];
      frame_busy += spec_.unit_cycles[u];
      // MACs follow the busy cycles; the last unit takes the remainder.
      const std::uint64_t share =
          u + 1 == units
              ? spec_.macs_per_frame - frame_macs
              : (total_cycles ? spec_.macs_per_frame * spec_.unit_cycles[u] / total_cycles : 0);
      frame_macs += share;
      macs_ += share;
      const sc_core::sc_time stall_start = sc_core::sc_time_stamp();
      while (emitted < spec_.emit_after[u]) {
        if (!any_output_) {
          any_output_ = true;
          first_output_ps_ = sc_core::sc_time_stamp().value();
        }
        out_.put({frame, emitted});
        ++emitted;
        ++rows_out_;
      }
      const std::uint64_t stalled = cycles_between(stall_start, sc_core::sc_time_stamp(), clock_);
      output_stall_cycles_ += stalled;
      if (vcd_ && stalled > 0) {
        vcd_->change(vcd_stalled_, stall_start.value(), 1);
        vcd_->change(vcd_stalled_, sc_core::sc_time_stamp().value(), 0);
      }
      frame_stall += stalled;
    }
    ++frames_done_;
    if (vcd_ && vcd_->timeline(sim::TraceLevel::kLayer)) {
      vcd_->timeline(sim::TraceLevel::kLayer)
          ->slice(track_, "frame " + std::to_string(frame), frame_start_ps,
                  sc_core::sc_time_stamp().value(),
                  {{"busy_cycles", frame_busy}, {"output_stall_cycles", frame_stall}});
    }
  }
}

LayerPipeline::LayerPipeline(const sc_core::sc_module_name& name, const PipelineSpec& spec,
                             sc_core::sc_time clock, sim::Stats& stats, sim::VcdWriter* vcd)
    : sc_module(name), spec_(spec), clock_(clock), vcd_(vcd) {
  EDGESIM_CHECK(!spec_.engines.empty(), "a pipeline needs at least one engine");
  if (vcd_) {
    vcd_frames_in_ = vcd_->add_signal(this->name(), "frames_in", 32, sim::TraceLevel::kLayer);
    vcd_frames_done_ = vcd_->add_signal(this->name(), "frames_done", 32, sim::TraceLevel::kLayer);
  }
  EDGESIM_CHECK(spec_.fifo_depth_rows.size() == spec_.engines.size() + 1,
                "a pipeline needs one FIFO depth per engine plus one");
  for (std::size_t i = 0; i <= spec_.engines.size(); ++i) {
    fifos_.push_back(std::make_unique<RowFifo>(("fifo" + std::to_string(i)).c_str(),
                                               spec_.fifo_depth_rows[i], clock_, stats, vcd));
  }
  for (std::size_t i = 0; i < spec_.engines.size(); ++i) {
    engines_.push_back(std::make_unique<StageEngine>(spec_.engines[i].name.c_str(),
                                                     spec_.engines[i], spec_.frames, clock_,
                                                     *fifos_[i], *fifos_[i + 1], stats, vcd));
  }
  const std::string prefix = std::string(this->name()) + ".";
  stats.add(prefix + "input_rows", input_rows_, sim::Unit::kCount, "rows from the input stream");
  stats.add(prefix + "output_rows", output_rows_, sim::Unit::kCount, "rows to the output stream");
  stats.add(prefix + "input_stall_cycles", input_stall_cycles_, sim::Unit::kCycles,
            "input stream cycles blocked by the first FIFO");
  SC_HAS_PROCESS(LayerPipeline);
  SC_THREAD(source);
  SC_THREAD(sink);
}

void LayerPipeline::source() {
  RowFifo& out = *fifos_.front();
  for (std::uint32_t frame = 0; frame < spec_.frames; ++frame) {
    const sc_core::sc_time arrival =
        clock_ * static_cast<double>(spec_.frame_interval_cycles * frame);
    if (arrival > sc_core::sc_time_stamp()) wait(arrival - sc_core::sc_time_stamp());
    for (std::uint32_t row = 0; row < spec_.input_rows; ++row) {
      if (row == 0) {
        frame_start_ps_.push_back(sc_core::sc_time_stamp().value());
        if (vcd_) vcd_->change(vcd_frames_in_, frame_start_ps_.back(), frame + 1);
      }
      if (spec_.input_row_cycles > 0) {
        wait(clock_ * static_cast<double>(spec_.input_row_cycles));
      }
      const sc_core::sc_time start = sc_core::sc_time_stamp();
      out.put({frame, row});
      input_stall_cycles_ += cycles_between(start, sc_core::sc_time_stamp(), clock_);
      ++input_rows_;
    }
  }
}

void LayerPipeline::sink() {
  RowFifo& in = *fifos_.back();
  for (std::uint32_t frame = 0; frame < spec_.frames; ++frame) {
    for (std::uint32_t row = 0; row < spec_.output_rows; ++row) {
      const RowToken token = in.get();
      EDGESIM_CHECK(token.frame == frame && token.row == row,
                    "output rows out of order: frame " + std::to_string(token.frame) + " row " +
                        std::to_string(token.row));
      if (spec_.output_row_cycles > 0) {
        wait(clock_ * static_cast<double>(spec_.output_row_cycles));
      }
      ++output_rows_;
    }
    frame_done_ps_.push_back(sc_core::sc_time_stamp().value());
    if (vcd_) vcd_->change(vcd_frames_done_, frame_done_ps_.back(), frame + 1);
  }
}

}  // namespace models
