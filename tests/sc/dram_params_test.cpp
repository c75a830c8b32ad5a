// Parsing of the `dram:` section: presets, overrides, validation and error text.
#include "models/memory/dram/dram_params.h"

#include <gtest/gtest.h>

#include <string>

#include "models/memory/dram/dram_timing.h"
#include "sim/core/config.h"

namespace {

models::DramParams parse_text(const std::string& yaml) {
  sim::Config config;
  config.load_text(yaml, "platform.yaml");
  models::DramParams params = models::parse_dram(config.root().child("dram"));
  config.check_all_read();
  return params;
}

std::string error_of(const std::string& yaml) {
  try {
    parse_text(yaml);
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(DramParams, EveryPresetParsesWithItsPeakBandwidth) {
  const auto names = models::dram_preset_names();
  ASSERT_EQ(names.size(), 4u);
  EXPECT_DOUBLE_EQ(parse_text("dram:\n  preset: lpddr4-3200\n").peak_bandwidth_gbps(), 12.8);
  EXPECT_DOUBLE_EQ(parse_text("dram:\n  preset: lpddr5-6400\n").peak_bandwidth_gbps(), 25.6);
  EXPECT_DOUBLE_EQ(parse_text("dram:\n  preset: ddr4-3200\n").peak_bandwidth_gbps(), 25.6);
  EXPECT_DOUBLE_EQ(parse_text("dram:\n  preset: hbm2\n").peak_bandwidth_gbps(), 256.0);
}

TEST(DramParams, PresetSetsTypeGeometryAndTiming) {
  const auto p = parse_text("dram:\n  preset: ddr4-3200\n");
  EXPECT_EQ(p.type, models::DramType::kDdr4);
  EXPECT_EQ(p.bank_groups, 4u);
  EXPECT_EQ(p.cl, 22u);
  EXPECT_EQ(p.burst_bytes(), 64u);
  EXPECT_EQ(p.size_bytes, p.capacity_bytes());
  EXPECT_EQ(p.capacity_bytes(), 8ull << 30);
}

TEST(DramParams, SectionKeysOverrideThePreset) {
  const auto p = parse_text(
      "dram:\n  preset: lpddr4-3200\n  trcd: 40\n  page_policy: close\n  mode: at\n"
      "  size_bytes: 1048576\n  base_address: 2147483648\n");
  EXPECT_EQ(p.trcd, 40u);
  EXPECT_EQ(p.trp, 34u);
  EXPECT_EQ(p.page_policy, models::PagePolicy::kClose);
  EXPECT_EQ(p.mode, models::DramMode::kAt);
  EXPECT_EQ(p.size_bytes, 1048576u);
}

TEST(DramParams, TypeAloneLoadsItsDefaultPreset) {
  const auto p = parse_text("dram:\n  type: hbm2\n");
  EXPECT_EQ(p.preset, "hbm2");
  EXPECT_EQ(p.channels, 16u);
}

TEST(DramParams, SimpleTypeKeepsLatencyAndBandwidth) {
  const auto p = parse_text("dram:\n  type: simple\n  latency_ns: 80\n  bandwidth_gbps: 6.4\n");
  EXPECT_EQ(p.type, models::DramType::kSimple);
  EXPECT_DOUBLE_EQ(p.latency_ns, 80.0);
  EXPECT_DOUBLE_EQ(p.bandwidth_gbps, 6.4);
}

TEST(DramParams, TypeThatContradictsThePresetIsAnError) {
  EXPECT_EQ(error_of("dram:\n  preset: hbm2\n  type: ddr4\n"),
            "platform.yaml:3:9: dram.type: must match preset 'hbm2' (type hbm2) or be simple, "
            "got 'ddr4'");
}

TEST(DramParams, UnknownPresetSuggestsTheClosest) {
  const std::string error = error_of("dram:\n  preset: lpddr4-3300\n");
  EXPECT_NE(error.find("platform.yaml:2:11: dram.preset: must be one of"), std::string::npos)
      << error;
  EXPECT_NE(error.find("did you mean 'lpddr4-3200'"), std::string::npos) << error;
}

TEST(DramParams, BanksMustBeAPowerOfTwo) {
  EXPECT_EQ(error_of("dram:\n  preset: lpddr4-3200\n  banks: 6\n"),
            "platform.yaml:3:10: dram.banks: must be a power of two (the address mapping slices "
            "bits), got 6");
}

TEST(DramParams, NegativeGeometryIsAnError) {
  EXPECT_EQ(error_of("dram:\n  channels: -4\n"),
            "platform.yaml:2:13: dram.channels: must be > 0, got -4");
}

TEST(DramParams, WrongTypeIsAnError) {
  EXPECT_EQ(error_of("dram:\n  trcd: fast\n"),
            "platform.yaml:2:9: dram.trcd: must be a non-negative integer below 2^32, got 'fast'");
}

TEST(DramParams, RefreshCycleMustFitInTheRefreshInterval) {
  EXPECT_EQ(error_of("dram:\n  trfc: 7000\n"),
            "platform.yaml:2:9: dram.trfc: must be < trefi (6246) when refresh is on, got 7000");
}

TEST(DramParams, PerBankRefreshCycleMustFitItsInterval) {
  EXPECT_EQ(error_of("dram:\n  refresh_mode: per_bank\n  trfc_pb: 900\n"),
            "platform.yaml:3:12: dram.trfc_pb: must be in (0, trefi / banks per rank = 780) for "
            "per-bank refresh, got 900");
}

TEST(DramParams, WriteBufferOfOneBurstIsAnError) {
  EXPECT_EQ(error_of("dram:\n  write_buffer_bursts: 1\n"),
            "platform.yaml:2:24: dram.write_buffer_bursts: must be 0 (no buffer) or >= 2, got 1");
}

TEST(DramParams, SizeBeyondTheGeometryIsAnError) {
  const std::string error = error_of("dram:\n  size_bytes: 4294967296\n");
  EXPECT_EQ(error,
            "platform.yaml:2:15: dram.size_bytes: must be <= the geometry's capacity "
            "(2147483648 bytes), got 4294967296");
}

TEST(DramParams, UnknownKeyIsCaughtWithASuggestion) {
  const std::string error = error_of("dram:\n  preset: lpddr4-3200\n  trcdd: 30\n");
  EXPECT_NE(error.find("dram.trcdd: unknown key (did you mean 'trcd'?)"), std::string::npos)
      << error;
}

TEST(DramParams, AddressMappingMustPlaceEveryField) {
  EXPECT_EQ(error_of("dram:\n  address_mapping: \"row:bank:column\"\n"),
            "platform.yaml:2:20: dram.address_mapping: must place field 'channel' (1 bits for "
            "this geometry), got [row:bank:column]");
}

TEST(DramParams, AddressMappingRejectsDuplicatesAndUnknownFields) {
  EXPECT_NE(error_of("dram:\n  address_mapping: \"row:bank:bank:column:channel\"\n")
                .find("must name each field once ('bank' appears twice)"),
            std::string::npos);
  EXPECT_NE(error_of("dram:\n  address_mapping: \"row:bnk:column:channel\"\n")
                .find("'bnk' is none of them"),
            std::string::npos);
}

TEST(DramParams, BitListMappingMustGiveEachFieldItsBits) {
  const std::string error = error_of(
      "dram:\n  channels: 1\n  rows: 2\n  banks: 2\n  columns: 32\n"
      "  address_mapping: [column, bank, bank, row]\n");
  EXPECT_NE(error.find("must give field 'bank' 1 bits for this geometry (it has 2)"),
            std::string::npos)
      << error;
}

TEST(DramParams, OrderStringAndBitListDecodeTheSameWay) {
  const auto order = parse_text(
      "dram:\n  channels: 2\n  rows: 4\n  banks: 2\n  columns: 64\n"
      "  address_mapping: \"row:bank:column:channel\"\n");
  const auto bits = parse_text(
      "dram:\n  channels: 2\n  rows: 4\n  banks: 2\n  columns: 64\n"
      "  address_mapping: [channel, column, column, bank, row, row]\n");
  const models::DramAddressMapper a(order);
  const models::DramAddressMapper b(bits);
  for (std::uint64_t index = 0; index < 64; ++index) {
    const auto x = a.decode(index);
    const auto y = b.decode(index);
    EXPECT_EQ(x.channel, y.channel);
    EXPECT_EQ(x.bank, y.bank);
    EXPECT_EQ(x.row, y.row);
    EXPECT_EQ(x.column, y.column);
    EXPECT_EQ(a.encode(x), index);
  }
  // index 0b101101: channel 1, column 0b10, bank 1, row 0b10.
  const auto d = a.decode(0b101101);
  EXPECT_EQ(d.channel, 1u);
  EXPECT_EQ(d.column, 2u);
  EXPECT_EQ(d.bank, 1u);
  EXPECT_EQ(d.row, 2u);
}

TEST(DramParams, InterleavedBitListSpreadsConsecutiveBurstsOverBanks) {
  const auto p = parse_text(
      "dram:\n  channels: 1\n  rows: 2\n  banks: 4\n  columns: 32\n"
      "  address_mapping: [bank, column, bank, row]\n");
  const models::DramAddressMapper m(p);
  EXPECT_EQ(m.decode(0).bank, 0u);
  EXPECT_EQ(m.decode(1).bank, 1u);
  EXPECT_EQ(m.decode(2).column, 1u);
  EXPECT_EQ(m.decode(4).bank, 2u);
}
