// Pins the DRAM timing rules on a one-channel LPDDR4-3200 with refresh off unless a test
// turns it on. Requests go straight into the socket before sc_start, so arrival times are
// the annotated delays.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "models/memory/dram/dram.h"
#include "sim/core/config.h"

namespace {

models::DramParams make_params(const std::vector<std::string>& overrides) {
  sim::Config config;
  config.load_text("dram:\n  preset: lpddr4-3200\n  channels: 1\n  trefi: 0\n", "test.yaml");
  for (const auto& assignment : overrides) config.apply_override("dram." + assignment);
  models::DramParams params = models::parse_dram(config.root().child("dram"));
  config.check_all_read();
  return params;
}

struct Harness {
  explicit Harness(const models::DramParams& p)
      : params(p), dram("dram", params, stats), fw(dram.in.get_base_interface()), mapper(params) {}

  std::uint64_t address(std::uint32_t bank, std::uint64_t row, std::uint32_t column = 0,
                        std::uint32_t channel = 0) const {
    models::DramAddress a;
    a.channel = channel;
    a.bank = bank;
    a.row = row;
    a.column = column;
    return mapper.encode(a) * params.burst_bytes();
  }

  /// Sends one transaction arriving at `arrival_ps`; returns its completion time in ps.
  std::uint64_t access(tlm::tlm_command command, std::uint64_t offset, std::uint64_t arrival_ps,
                       unsigned length = 32) {
    buffer.assign(length, 0);
    payload.set_command(command);
    payload.set_address(offset);
    payload.set_data_ptr(buffer.data());
    payload.set_data_length(length);
    payload.set_streaming_width(length);
    payload.set_byte_enable_ptr(nullptr);
    payload.set_byte_enable_length(0);
    payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay(static_cast<double>(arrival_ps), sc_core::SC_PS);
    fw.b_transport(payload, delay);
    return static_cast<std::uint64_t>(delay.to_seconds() * 1e12 + 0.5);
  }
  std::uint64_t read(std::uint64_t offset, std::uint64_t arrival_ps, unsigned length = 32) {
    return access(tlm::TLM_READ_COMMAND, offset, arrival_ps, length);
  }

  std::uint64_t cycles(std::uint64_t n) const { return n * params.tck_ps; }

  models::DramParams params;
  sim::Stats stats;
  models::Dram dram;
  tlm::tlm_fw_transport_if<>& fw;
  models::DramAddressMapper mapper;
  tlm::tlm_generic_payload payload;
  std::vector<unsigned char> buffer;
};

}  // namespace

TEST(BusyCalendar, FindsTheEarliestFreeSlotAndNeverDoubleBooks) {
  // Against a brute-force occupancy map of 4000 time units.
  models::BusyCalendar calendar;
  std::vector<bool> busy(4000, false);
  std::uint64_t seed = 7;
  const auto next = [&](std::uint64_t bound) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (seed >> 33) % bound;
  };
  for (int i = 0; i < 600; ++i) {
    const std::uint64_t earliest = next(3000);
    const std::uint64_t length = 1 + next(6);
    std::uint64_t expected = earliest;
    while (true) {
      bool free = true;
      for (std::uint64_t t = expected; t < expected + length; ++t) free = free && !busy[t];
      if (free) break;
      ++expected;
    }
    const std::uint64_t slot = calendar.find(earliest, length);
    ASSERT_EQ(slot, expected) << "reservation " << i;
    calendar.reserve(slot, length);
    for (std::uint64_t t = slot; t < slot + length; ++t) busy[t] = true;
  }
  calendar.forget_before(1500);
  EXPECT_EQ(calendar.find(3990, 1) >= 3990, true);
}

TEST(DramTiming, ClosedBankCostsRcdPlusClPlusBurst) {
  Harness h(make_params({}));
  const auto& p = h.params;
  EXPECT_EQ(h.read(h.address(0, 5), 0), h.cycles(p.trcd + p.cl + p.burst_length / 2));
  EXPECT_EQ(h.dram.counters().row_misses, 1u);
  EXPECT_EQ(h.dram.counters().activates, 1u);
}

TEST(DramTiming, RowHitCostsClPlusBurst) {
  Harness h(make_params({}));
  const auto& p = h.params;
  h.read(h.address(0, 5, 0), 0);
  const std::uint64_t later = 1000000;
  EXPECT_EQ(h.read(h.address(0, 5, 3), later) - later, h.cycles(p.cl + p.burst_length / 2));
  EXPECT_EQ(h.dram.counters().row_hits, 1u);
}

TEST(DramTiming, RowConflictAddsRpPlusRcd) {
  Harness h(make_params({}));
  const auto& p = h.params;
  h.read(h.address(2, 5), 0);
  const std::uint64_t later = 1000000;
  EXPECT_EQ(h.read(h.address(2, 6), later) - later,
            h.cycles(p.trp + p.trcd + p.cl + p.burst_length / 2));
  EXPECT_EQ(h.dram.counters().row_conflicts, 1u);
  EXPECT_EQ(h.dram.counters().precharges, 1u);
}

TEST(DramTiming, ConflictWaitsForTrasAfterActivate) {
  Harness h(make_params({}));
  const auto& p = h.params;
  h.read(h.address(1, 5), 0);  // ACT at 0, so PRE no earlier than tRAS
  EXPECT_EQ(h.read(h.address(1, 6), 0),
            h.cycles(p.tras + p.trp + p.trcd + p.cl + p.burst_length / 2));
}

TEST(DramTiming, FawLimitsFourActivatesInAWindow) {
  // tRRD small so that only tFAW can hold back the fifth activate.
  Harness h(make_params({"trrd=2"}));
  const auto& p = h.params;
  std::vector<std::uint64_t> ends;
  for (std::uint32_t bank = 0; bank < 5; ++bank) ends.push_back(h.read(h.address(bank, 9), 0));
  EXPECT_EQ(ends[4], h.cycles(p.tfaw + p.trcd + p.cl + p.burst_length / 2));
  // The first four are limited by tRRD and the data bus only.
  EXPECT_LT(ends[3], h.cycles(p.tfaw + p.trcd + p.cl));
}

TEST(DramTiming, WithoutFawTheFifthActivateFollowsTrrd) {
  Harness h(make_params({"trrd=2", "tfaw=0"}));
  const auto& p = h.params;
  std::vector<std::uint64_t> ends;
  for (std::uint32_t bank = 0; bank < 5; ++bank) ends.push_back(h.read(h.address(bank, 9), 0));
  // Only the data bus spaces them: one burst after the fourth.
  EXPECT_EQ(ends[4], ends[3] + h.cycles(p.burst_length / 2));
}

TEST(DramTiming, RefreshBlocksTheRankForTrfc) {
  Harness h(make_params({"trefi=6246", "refresh_mode=all_bank"}));
  const auto& p = h.params;
  h.read(h.address(0, 5), 0);
  const std::uint64_t just_after_refresh = h.cycles(p.trefi) + 1;
  // The refresh precharged the open row (tRP), then holds the rank for tRFC.
  EXPECT_EQ(h.read(h.address(0, 5), just_after_refresh),
            h.cycles(p.trefi + p.trp + p.trfc + p.trcd + p.cl + p.burst_length / 2));
  EXPECT_EQ(h.dram.counters().refreshes, 1u);
  EXPECT_EQ(h.dram.counters().precharges, 1u);
  EXPECT_EQ(h.dram.counters().row_misses, 2u);
}

TEST(DramTiming, RefreshRecursEveryTrefi) {
  Harness h(make_params({"trefi=6246", "refresh_mode=all_bank"}));
  const auto& p = h.params;
  h.dram.account_until(
      sc_core::sc_time(static_cast<double>(h.cycles(10 * p.trefi) + 1), sc_core::SC_PS));
  EXPECT_EQ(h.dram.counters().refreshes, 10u);
  h.dram.account_until(
      sc_core::sc_time(static_cast<double>(h.cycles(1000 * p.trefi) + 1), sc_core::SC_PS));
  EXPECT_EQ(h.dram.counters().refreshes, 1000u);
}

TEST(DramTiming, PerBankRefreshBlocksOnlyTheRefreshedBank) {
  Harness h(make_params({"trefi=6246", "refresh_mode=per_bank", "trfc_pb=224"}));
  const auto& p = h.params;
  const std::uint64_t interval = p.trefi * std::uint64_t{p.tck_ps} / 8;  // 8 banks per rank
  // Open a row in every bank; bank 0 has been idle longest, so it is refreshed first.
  for (std::uint32_t bank = 0; bank < 8; ++bank) h.read(h.address(bank, 5), 0);
  const std::uint64_t at = interval + 1;
  // Bank 1 keeps its row and is served as a row hit.
  EXPECT_EQ(h.read(h.address(1, 5), at) - at, h.cycles(p.cl + p.burst_length / 2));
  EXPECT_EQ(h.dram.counters().refreshes, 1u);
  // Bank 0: its open row was precharged (tRP), then the bank was blocked for tRFCpb.
  EXPECT_EQ(h.read(h.address(0, 5), at),
            interval + h.cycles(p.trp + p.trfc_pb + p.trcd + p.cl + p.burst_length / 2));
}

TEST(DramTiming, PerBankRefreshPrefersIdleBanks) {
  Harness h(make_params({"trefi=6246", "refresh_mode=per_bank", "trfc_pb=224"}));
  const auto& p = h.params;
  const std::uint64_t interval = p.trefi * std::uint64_t{p.tck_ps} / 8;
  h.read(h.address(0, 5), 0);  // banks 1..7 stay idle
  const std::uint64_t at = interval + 1;
  EXPECT_EQ(h.read(h.address(0, 5), at) - at, h.cycles(p.cl + p.burst_length / 2));
  EXPECT_EQ(h.dram.counters().refreshes, 1u);
  EXPECT_EQ(h.dram.counters().precharges, 0u);
}

TEST(DramTiming, PerBankRefreshVisitsEveryBankOncePerTrefi) {
  Harness h(make_params({"trefi=6246", "refresh_mode=per_bank"}));
  const auto& p = h.params;
  h.dram.account_until(
      sc_core::sc_time(static_cast<double>(h.cycles(p.trefi * 100)), sc_core::SC_PS));
  EXPECT_EQ(h.dram.counters().refreshes, 800u);
}

TEST(DramTiming, ClosePagePolicyClosesTheRowAfterAccess) {
  Harness h(make_params({"page_policy=close"}));
  const auto& p = h.params;
  h.read(h.address(0, 5), 0);
  const std::uint64_t later = 1000000;
  EXPECT_EQ(h.read(h.address(0, 5), later) - later, h.cycles(p.trcd + p.cl + p.burst_length / 2));
  EXPECT_EQ(h.dram.counters().row_hits, 0u);
  EXPECT_EQ(h.dram.counters().precharges, 2u);
}

TEST(DramTiming, ClosePageKeepsTheRowForBurstsOfOneRequest) {
  Harness h(make_params({"page_policy=close"}));
  h.read(0, 0, 256);  // 8 bursts in one row
  EXPECT_EQ(h.dram.counters().activates, 1u);
  EXPECT_EQ(h.dram.counters().row_hits, 7u);
}

TEST(DramTiming, ClosePageKeepsTheRowAcrossChannelInterleaving) {
  Harness h(make_params({"page_policy=close", "channels=2"}));
  h.read(0, 0, 256);  // 4 bursts on each channel, one row each
  EXPECT_EQ(h.dram.counters().activates, 2u);
  EXPECT_EQ(h.dram.counters().row_hits, 6u);
  EXPECT_EQ(h.dram.counters().precharges, 2u);
}

TEST(DramTiming, LongRequestSplitsIntoPipelinedBursts) {
  Harness h(make_params({}));
  const auto& p = h.params;
  const std::uint64_t end = h.read(0, 0, 1024);
  EXPECT_EQ(h.dram.counters().read_bursts, 1024 / p.burst_bytes());
  // One activate, then one burst per tCCD on the data bus.
  EXPECT_EQ(end, h.cycles(p.trcd + p.cl + 32 * (p.burst_length / 2)));
}

TEST(DramTiming, ReadAfterWriteWaitsForTwtr) {
  Harness h(make_params({"write_buffer_bursts=0"}));
  const auto& p = h.params;
  const std::uint64_t write_end = h.access(tlm::TLM_WRITE_COMMAND, 0, 0);
  EXPECT_EQ(write_end, h.cycles(p.trcd + p.cwl + p.burst_length / 2));
  EXPECT_EQ(h.read(h.address(0, 0, 1), 0),
            write_end + h.cycles(p.twtr + p.cl + p.burst_length / 2));
}

TEST(DramTiming, WriteAfterReadLeavesTwoClocksOfBusTurnaround) {
  Harness h(make_params({"write_buffer_bursts=0"}));
  const auto& p = h.params;
  const std::uint64_t read_end = h.read(0, 0);
  EXPECT_EQ(h.access(tlm::TLM_WRITE_COMMAND, h.address(0, 0, 1), 0),
            read_end + h.cycles(2 + p.burst_length / 2));
}

TEST(DramTiming, IdleBankIsNotHeldBehindABusyOne) {
  Harness h(make_params({}));
  const auto& p = h.params;
  h.read(h.address(0, 5), 0);
  const std::uint64_t busy_end = h.read(h.address(0, 6), 0);  // waits for tRAS, tRP, tRCD
  const std::uint64_t idle_end = h.read(h.address(1, 7), 0);
  EXPECT_LT(idle_end, busy_end);
  // Bank 1 activates one tRRD after bank 0's first activate.
  EXPECT_EQ(idle_end, h.cycles(p.trrd + p.trcd + p.cl + p.burst_length / 2));
}

TEST(DramTiming, EarlierArrivalProcessedLaterStillGetsItsTime) {
  // Two DMA channels: the second one's request is stamped earlier than the first one's.
  Harness h(make_params({}));
  const auto& p = h.params;
  const std::uint64_t late = 10000000;
  h.read(h.address(0, 5), late);
  const std::uint64_t early_end = h.read(h.address(1, 5), 0);
  EXPECT_EQ(early_end, h.cycles(p.trcd + p.cl + p.burst_length / 2));
}

TEST(DramTiming, ChannelsWorkInParallel) {
  Harness h(make_params({"channels=2"}));
  const std::uint64_t a = h.read(h.address(0, 1, 0, 0), 0);
  const std::uint64_t b = h.read(h.address(0, 1, 0, 1), 0);
  EXPECT_EQ(a, b);
}

TEST(DramTiming, SimpleTypeIsLatencyPlusSerialisation) {
  Harness h(make_params({"type=simple", "latency_ns=50", "bandwidth_gbps=3.2"}));
  EXPECT_EQ(h.read(0, 0, 64), 50000u + 20000u);
  EXPECT_EQ(h.dram.counters().activates, 0u);
}

TEST(DramTiming, BufferedWritesCompleteAtOnceAndDrainInBatches) {
  Harness h(make_params({"write_buffer_bursts=8"}));
  const auto& p = h.params;
  // Three writes fit the buffer: each completes when buffered (one burst time).
  for (std::uint32_t column = 0; column < 3; ++column) {
    EXPECT_EQ(h.access(tlm::TLM_WRITE_COMMAND, h.address(0, 0, column), 0),
              h.cycles(p.burst_length / 2));
  }
  EXPECT_EQ(h.dram.counters().write_bursts, 0u);
  // The fourth fills half the buffer: the batch of four goes to the DRAM.
  h.access(tlm::TLM_WRITE_COMMAND, h.address(0, 0, 3), 0);
  EXPECT_EQ(h.dram.counters().write_bursts, 4u);
  EXPECT_EQ(h.dram.counters().activates, 1u);
  EXPECT_EQ(h.dram.counters().bytes_written, 4 * 32u);
}

TEST(DramTiming, FullWriteBufferMakesTheWriterWait) {
  Harness h(make_params({"write_buffer_bursts=4"}));
  const auto& p = h.params;
  std::uint64_t last = 0;
  for (std::uint32_t column = 0; column < 5; ++column) {
    last = h.access(tlm::TLM_WRITE_COMMAND, h.address(0, 0, column), 0);
  }
  // Four writes occupy the buffer until their data reaches the DRAM; the fifth is accepted
  // when the first of them has been written (tRCD + CWL + burst).
  EXPECT_EQ(last, h.cycles(p.trcd + p.cwl + p.burst_length / 2 + p.burst_length / 2));
}

TEST(DramTiming, IdleWriteBufferDrainsAfterTheHoldTime) {
  Harness h(make_params({"write_buffer_bursts=32", "write_hold_ns=500"}));
  h.access(tlm::TLM_WRITE_COMMAND, 0, 0);
  EXPECT_EQ(h.dram.counters().write_bursts, 0u);
  h.read(h.address(3, 9), 600000);  // a later request finds the write overdue
  EXPECT_EQ(h.dram.counters().write_bursts, 1u);
  h.access(tlm::TLM_WRITE_COMMAND, 64, 700000);
  h.dram.account_until(sc_core::sc_time(10, sc_core::SC_US));
  EXPECT_EQ(h.dram.counters().write_bursts, 2u);
}

TEST(DramFunctional, WrittenBytesReadBack) {
  Harness h(make_params({}));
  std::vector<unsigned char> data(100);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 7 + 1);
  tlm::tlm_generic_payload payload;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  payload.set_command(tlm::TLM_WRITE_COMMAND);
  payload.set_address(70000);  // crosses a storage page and several bursts
  payload.set_data_ptr(data.data());
  payload.set_data_length(100);
  payload.set_streaming_width(100);
  h.fw.b_transport(payload, delay);
  ASSERT_TRUE(payload.is_response_ok());
  std::vector<unsigned char> back(100, 0);
  payload.set_command(tlm::TLM_READ_COMMAND);
  payload.set_data_ptr(back.data());
  h.fw.b_transport(payload, delay);
  EXPECT_EQ(back, data);
  EXPECT_EQ(h.dram.counters().bytes_written, 100u);
  EXPECT_EQ(h.dram.counters().bytes_read, 100u);
}

TEST(DramFunctional, DebugTransportPreloadsAndReadsBackWithoutCounting) {
  Harness h(make_params({}));
  std::vector<unsigned char> data = {1, 2, 3, 4, 5};
  tlm::tlm_generic_payload payload;
  payload.set_command(tlm::TLM_WRITE_COMMAND);
  payload.set_address(4096);
  payload.set_data_ptr(data.data());
  payload.set_data_length(5);
  EXPECT_EQ(h.fw.transport_dbg(payload), 5u);
  h.read(4096, 0, 5);
  EXPECT_EQ(std::vector<unsigned char>(h.buffer.begin(), h.buffer.end()), data);
  std::vector<unsigned char> back(5);
  payload.set_command(tlm::TLM_READ_COMMAND);
  payload.set_data_ptr(back.data());
  EXPECT_EQ(h.fw.transport_dbg(payload), 5u);
  EXPECT_EQ(back, data);
  EXPECT_EQ(h.dram.counters().bytes_written, 0u);
}

TEST(DramFunctional, WithoutStoreDataOnlyTimingAndCountersRemain) {
  Harness h(make_params({"store_data=false", "write_buffer_bursts=0"}));
  const std::uint64_t write_end = h.access(tlm::TLM_WRITE_COMMAND, 0, 0, 64);
  EXPECT_GT(write_end, 0u);
  EXPECT_EQ(h.dram.storage().pages_allocated(), 0u);
  EXPECT_EQ(h.dram.counters().bytes_written, 64u);
  EXPECT_EQ(h.dram.counters().write_bursts, 2u);
}

TEST(DramFunctional, ByteEnablesMaskWrites) {
  Harness h(make_params({}));
  std::vector<unsigned char> ones(8, 0xAA);
  std::vector<unsigned char> enables = {0xFF, 0x00};
  tlm::tlm_generic_payload payload;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  payload.set_command(tlm::TLM_WRITE_COMMAND);
  payload.set_address(0);
  payload.set_data_ptr(ones.data());
  payload.set_data_length(8);
  payload.set_streaming_width(8);
  payload.set_byte_enable_ptr(enables.data());
  payload.set_byte_enable_length(2);
  h.fw.b_transport(payload, delay);
  ASSERT_TRUE(payload.is_response_ok());
  h.read(0, 0, 8);
  EXPECT_EQ(h.buffer, (std::vector<unsigned char>{0xAA, 0, 0xAA, 0, 0xAA, 0, 0xAA, 0}));
}

TEST(DramErrors, OutOfRangeAnswersAddressError) {
  Harness h(make_params({"size_bytes=65536"}));
  h.read(65536 - 16, 0, 32);
  EXPECT_EQ(h.payload.get_response_status(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  h.read(65536 - 32, 0, 32);
  EXPECT_EQ(h.payload.get_response_status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(h.dram.counters().error_responses, 1u);
}

TEST(DramErrors, IgnoreCommandAnswersCommandError) {
  Harness h(make_params({}));
  h.access(tlm::TLM_IGNORE_COMMAND, 0, 0);
  EXPECT_EQ(h.payload.get_response_status(), tlm::TLM_COMMAND_ERROR_RESPONSE);
}

TEST(DramErrors, StreamingWidthAnswersBurstError) {
  Harness h(make_params({}));
  std::vector<unsigned char> data(64);
  tlm::tlm_generic_payload payload;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  payload.set_command(tlm::TLM_READ_COMMAND);
  payload.set_address(0);
  payload.set_data_ptr(data.data());
  payload.set_data_length(64);
  payload.set_streaming_width(4);
  h.fw.b_transport(payload, delay);
  EXPECT_EQ(payload.get_response_status(), tlm::TLM_BURST_ERROR_RESPONSE);
}

TEST(DramStats, CountersAreRegisteredUnderTheModuleName) {
  Harness h(make_params({}));
  h.read(0, 0, 64);
  EXPECT_EQ(h.stats.value("dram.bytes_read"), 64u);
  EXPECT_EQ(h.stats.value("dram.read_bursts"), 2u);
  EXPECT_EQ(h.stats.value("dram.activates"), 1u);
  EXPECT_EQ(h.stats.value("dram.transactions"), 1u);
  EXPECT_GT(h.stats.value("dram.latency_total_ps"), 0u);
}

TEST(DramEnergy, EnergyAddsEventsAndBackground) {
  Harness h(make_params({"background_mw=0"}));
  const auto& p = h.params;
  h.read(0, 0, 64);
  const double expected = p.activate_pj + 2 * 256 * p.read_pj_per_bit;
  EXPECT_DOUBLE_EQ(h.dram.energy_pj(), expected);
  models::DramCounters idle;
  idle.background_ps = 1000000;  // 1 us at 70 mW = 70 nJ
  EXPECT_DOUBLE_EQ(models::dram_energy_pj(make_params({}), idle), 70000.0);
}
