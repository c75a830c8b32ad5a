// The layer pipeline's engines and FIFOs (models/pipeline): known stage latencies give a
// latency equal to the sum of the stage fills and one frame per slowest stage; a too-shallow
// FIFO shows back-pressure stalls and can cost throughput, a deep one does not; a windowed
// engine starts once its line buffer holds the rows it needs; counters add up.
#include <gtest/gtest.h>

#include <random>
#include <systemc>

#include "models/pipeline/layer_pipeline.h"
#include "workloads/mapping/pipeline_allocator.h"

namespace {

using models::EngineSpec;
using models::LayerPipeline;
using models::PipelineSpec;

const sc_core::sc_time kClock(1, sc_core::SC_NS);

/// An engine that takes one row, works `cycles`, gives one row.
EngineSpec single(const char* name, std::uint64_t cycles) {
  EngineSpec e;
  e.name = name;
  e.need_in = {1};
  e.emit_after = {1};
  e.unit_cycles = {cycles};
  e.macs_per_frame = cycles * 4;
  return e;
}

std::uint64_t cycles(std::uint64_t ps) { return ps / 1000; }

TEST(PipelineEngines, KnownStagesGiveSumOfFillsAndOneFramePerSlowestStage) {
  PipelineSpec spec;
  spec.frames = 10;
  spec.input_row_cycles = 0;
  spec.output_row_cycles = 0;
  spec.engines = {single("a", 100), single("b", 400), single("c", 50)};
  spec.fifo_depth_rows.assign(4, 16);
  sim::Stats stats;
  LayerPipeline top("top", spec, kClock, stats);
  sc_core::sc_start();
  ASSERT_EQ(top.frame_done_ps().size(), 10u);
  // Each stage's fill is its whole work here: latency is the sum of the fills.
  const std::uint64_t latency = cycles(top.frame_done_ps()[0] - top.frame_start_ps()[0]);
  EXPECT_EQ(latency, 100u + 400 + 50);
  // In the stream, frames leave one per slowest stage.
  for (std::size_t f = 1; f < 10; ++f) {
    EXPECT_EQ(cycles(top.frame_done_ps()[f] - top.frame_done_ps()[f - 1]), 400u) << f;
  }
  // The analytic model agrees.
  const auto t = workloads::pipeline_timing({{100, 100}, {400, 400}, {50, 50}});
  EXPECT_EQ(t.latency_cycles, latency);
  EXPECT_EQ(t.interval_cycles, 400u);
  // Counters: every engine worked every frame; the slowest never waited for a full FIFO.
  EXPECT_EQ(top.engines()[1]->busy_cycles(), 4000u);
  EXPECT_EQ(top.engines()[0]->macs(), 10u * 400);
  EXPECT_EQ(top.engines()[1]->output_stall_cycles(), 0u);
  EXPECT_EQ(stats.value("top.b.frames"), 10u);
  EXPECT_EQ(stats.value("top.fifo3.rows"), 10u);
  // Utilisation: the slowest stage is busy all the time between its first and last frame.
  const std::uint64_t end = cycles(sc_core::sc_time_stamp().value());
  EXPECT_EQ(end, 100u + 10 * 400 + 50);
  EXPECT_GT(top.engines()[1]->busy_cycles() * 100 / end, 90u);
  EXPECT_LT(top.engines()[2]->busy_cycles() * 100 / end, 20u);
}

/// A producer that emits eight rows at the end of one 80-cycle unit, and a consumer that takes
/// them one per 10-cycle unit: the FIFO between them must absorb the burst.
PipelineSpec bursty(std::uint64_t middle_depth, std::uint32_t frames) {
  PipelineSpec spec;
  spec.frames = frames;
  spec.input_row_cycles = 0;
  spec.output_row_cycles = 0;
  EngineSpec burst;
  burst.name = "burst";
  burst.need_in = {1};
  burst.emit_after = {8};
  burst.unit_cycles = {80};
  EngineSpec drain;
  drain.name = "drain";
  for (std::uint32_t u = 0; u < 8; ++u) {
    drain.need_in.push_back(u + 1);
    drain.emit_after.push_back(u == 7 ? 1 : 0);
    drain.unit_cycles.push_back(10);
  }
  spec.engines = {burst, drain};
  spec.fifo_depth_rows = {16, middle_depth, 16};
  return spec;
}

TEST(PipelineEngines, ShallowFifoStallsTheProducerAndCostsThroughput) {
  sim::Stats stats;
  LayerPipeline top("top", bursty(1, 6), kClock, stats);
  sc_core::sc_start();
  const auto& fifo = *top.fifos()[1];
  EXPECT_GT(fifo.full_stall_cycles(), 0u);
  EXPECT_EQ(fifo.max_occupancy(), 1u);
  EXPECT_GT(top.engines()[0]->output_stall_cycles(), 0u);
  EXPECT_EQ(top.engines()[0]->output_stall_cycles(), fifo.full_stall_cycles());
  // Both stages need 80 cycles per frame, but the producer can only start its next frame once
  // the one-row FIFO took its last row, after the drain took six rows (60 cycles): 140.
  const auto& done = top.frame_done_ps();
  EXPECT_EQ(cycles(done[5] - done[4]), 140u);
}

TEST(PipelineEngines, DeepFifoAbsorbsTheBurstWithoutStalls) {
  sim::Stats stats;
  LayerPipeline top("top", bursty(8, 6), kClock, stats);
  sc_core::sc_start();
  const auto& fifo = *top.fifos()[1];
  EXPECT_EQ(fifo.full_stall_cycles(), 0u);
  EXPECT_EQ(top.engines()[0]->output_stall_cycles(), 0u);
  EXPECT_EQ(fifo.max_occupancy(), 8u);
  const auto& done = top.frame_done_ps();
  EXPECT_EQ(cycles(done[5] - done[4]), 80u);  // one frame per slowest stage
  // Batch-1 latency is the same as with the shallow FIFO: the burst only delays later frames.
  EXPECT_EQ(cycles(done[0] - top.frame_start_ps()[0]), 80u + 8 * 10);
}

TEST(PipelineEngines, WindowedEngineStartsWhenItsLineBufferIsFilled) {
  // A 3-row window over 5 input rows (no padding): output row u needs rows 0..u+2.
  PipelineSpec spec;
  spec.frames = 1;
  spec.input_rows = 5;
  spec.input_row_cycles = 10;  // one input row every 10 cycles
  spec.output_rows = 3;
  spec.output_row_cycles = 0;
  EngineSpec conv;
  conv.name = "conv";
  conv.need_in = {3, 4, 5};
  conv.emit_after = {1, 2, 3};
  conv.unit_cycles = {4, 4, 4};
  conv.macs_per_frame = 120;
  spec.engines = {conv};
  spec.fifo_depth_rows = {2, 2};
  sim::Stats stats;
  LayerPipeline top("top", spec, kClock, stats);
  sc_core::sc_start();
  const auto& engine = *top.engines()[0];
  // First output after three input rows (30 cycles) and one unit (4 cycles).
  EXPECT_EQ(cycles(engine.first_output_ps()), 34u);
  // Then one output per input row: the last after row 5 (50 cycles) and a unit.
  EXPECT_EQ(cycles(top.frame_done_ps()[0]), 54u);
  EXPECT_EQ(engine.busy_cycles(), 12u);
  EXPECT_EQ(engine.input_wait_cycles(), 54u - 12);
  EXPECT_EQ(engine.macs(), 120u);
  EXPECT_EQ(stats.value("top.conv.rows_in"), 5u);
  EXPECT_EQ(stats.value("top.conv.rows_out"), 3u);
}

TEST(PipelineEngines, FramesArrivingAtTheIntervalNeverFillTheFifos) {
  // Frames arriving no faster than the slowest stage: nothing backs up.
  PipelineSpec spec;
  spec.frames = 8;
  spec.frame_interval_cycles = 400;
  spec.input_row_cycles = 0;
  spec.output_row_cycles = 0;
  spec.engines = {single("a", 100), single("b", 400), single("c", 50)};
  spec.fifo_depth_rows.assign(4, 1);
  sim::Stats stats;
  LayerPipeline top("top", spec, kClock, stats);
  sc_core::sc_start();
  for (const auto& fifo : top.fifos()) EXPECT_EQ(fifo->full_stall_cycles(), 0u) << fifo->name();
  EXPECT_EQ(top.input_stall_cycles(), 0u);
  for (std::size_t f = 0; f < 8; ++f) {
    EXPECT_EQ(cycles(top.frame_done_ps()[f] - top.frame_start_ps()[f]), 550u) << f;
  }
}

TEST(PipelineEngines, RandomChainsNeverDeadlockAndKeepTheirInvariants) {
  // Random engines (windows, bursts, uneven unit costs) behind one-row FIFOs: every frame comes
  // out, in order; every engine does all its work; the stream is never faster than its slowest
  // engine, and a frame takes at least the time to send its output rows.
  std::mt19937 random(7);
  PipelineSpec spec;
  spec.frames = 12;
  spec.input_rows = 1 + random() % 6;
  spec.input_row_cycles = random() % 3;
  std::uint32_t rows = spec.input_rows;
  std::uint64_t slowest = spec.input_rows * spec.input_row_cycles;
  for (int e = 0; e < 6; ++e) {
    EngineSpec engine;
    engine.name = "e" + std::to_string(e);
    const std::uint32_t units = 1 + random() % 7;
    const std::uint32_t out_rows = 1 + random() % 5;
    std::uint32_t need = 0, emitted = 0;
    std::uint64_t cycles = 0;
    for (std::uint32_t u = 0; u < units; ++u) {
      need = std::min(rows, need + static_cast<std::uint32_t>(random() % 3));
      emitted = std::min(out_rows, emitted + static_cast<std::uint32_t>(random() % 3));
      engine.need_in.push_back(u + 1 == units ? rows : need);
      engine.emit_after.push_back(u + 1 == units ? out_rows : emitted);
      engine.unit_cycles.push_back(random() % 20);
      cycles += engine.unit_cycles.back();
    }
    engine.macs_per_frame = cycles * 3;
    slowest = std::max(slowest, cycles);
    spec.engines.push_back(engine);
    rows = out_rows;
  }
  spec.output_rows = rows;
  spec.output_row_cycles = 1;
  spec.fifo_depth_rows.assign(spec.engines.size() + 1, 1);
  sim::Stats stats;
  LayerPipeline top("top", spec, kClock, stats);
  sc_core::sc_start();
  ASSERT_EQ(top.frame_done_ps().size(), spec.frames);
  for (std::size_t f = 1; f < spec.frames; ++f) {
    EXPECT_GE(cycles(top.frame_done_ps()[f] - top.frame_done_ps()[f - 1]), 1u);
  }
  const std::uint64_t interval =
      cycles(top.frame_done_ps().back() - top.frame_done_ps().front()) / (spec.frames - 1);
  EXPECT_GE(interval + 1, slowest);
  for (std::size_t e = 0; e < spec.engines.size(); ++e) {
    std::uint64_t per_frame = 0;
    for (const auto c : spec.engines[e].unit_cycles) per_frame += c;
    EXPECT_EQ(top.engines()[e]->busy_cycles(), spec.frames * per_frame) << e;
    EXPECT_EQ(top.engines()[e]->macs(), spec.frames * spec.engines[e].macs_per_frame) << e;
  }
  EXPECT_GE(cycles(top.frame_done_ps()[0] - top.frame_start_ps()[0]),
            spec.output_rows * spec.output_row_cycles);
  for (const auto& fifo : top.fifos()) EXPECT_LE(fifo->max_occupancy(), 1u);
}

}  // namespace
