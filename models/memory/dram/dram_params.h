#pragma once
// Parameters of the DRAM model: geometry, address mapping, JEDEC timing in the device clock,
// energy figures. Plain data, parsed and validated without a SystemC kernel.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/config.h"

namespace models {

/// Which DRAM model: a fixed latency + bandwidth pipe, or the bank-state timing model.
enum class DramType { kSimple, kLpddr4, kLpddr5, kDdr4, kHbm2 };
/// Which TLM protocol initiators are expected to use (both are always answered).
enum class DramMode { kLt, kAt };
/// Row-buffer management after a column access.
enum class PagePolicy { kOpen, kClose };
/// Refresh commands: all banks of a rank at once (REFab) or one bank at a time (REFpb).
enum class RefreshMode { kAllBank, kPerBank };
/// One level of the DRAM hierarchy an address bit can select.
enum class DramField { kChannel, kRank, kBankGroup, kBank, kRow, kColumn };

/// Name used in configs ("lpddr4", ...).
const char* dram_type_name(DramType type);
/// Name used in configs ("row", "bankgroup", ...).
const char* dram_field_name(DramField field);

/// Contiguous run of burst-index bits that land in one field of a DRAM address.
struct DramBitSegment {
  DramField field;
  std::uint32_t source_shift;  // lowest bit in the burst index
  std::uint32_t width;
  std::uint32_t field_shift;  // lowest bit in the field value
};

/// DRAM params; defaults are the LPDDR4-3200 preset (platforms/dram/lpddr4-3200.yaml).
struct DramParams {
  DramType type = DramType::kLpddr4;
  std::string preset = "lpddr4-3200";  // "" when none was loaded
  DramMode mode = DramMode::kLt;
  std::uint64_t base_address = 0;
  std::uint64_t size_bytes = 0;  // 0 before parsing; parse sets it to the capacity if absent

  // Geometry, per channel except `channels`.
  std::uint32_t channels = 2;
  std::uint32_t ranks = 1;
  std::uint32_t bank_groups = 1;
  std::uint32_t banks = 8;  // per bank group
  std::uint64_t rows = 65536;
  std::uint32_t columns = 1024;  // column addresses per row, each bus_width_bits wide
  std::uint32_t bus_width_bits = 16;
  std::uint32_t burst_length = 16;
  std::uint32_t transfers_per_clock = 2;  // data beats per tCK (2 for DDR, 8 for LPDDR5 WCK)

  PagePolicy page_policy = PagePolicy::kOpen;
  /// As given: one "a:b:c" order string (MSB first) or a list of per-bit fields, LSB first.
  std::vector<std::string> address_mapping = {"row:rank:bank:bankgroup:column:channel"};
  /// Decoded mapping of the burst index (byte offset / burst_bytes()).
  std::vector<DramBitSegment> mapping_segments;

  // Timing in cycles of tck_ps.
  std::uint32_t tck_ps = 625;
  std::uint32_t cl = 28;
  std::uint32_t cwl = 14;
  std::uint32_t trcd = 29;
  std::uint32_t trp = 34;
  std::uint32_t tras = 68;
  std::uint32_t trc = 102;
  std::uint32_t trrd = 16;
  std::uint32_t tfaw = 64;
  std::uint32_t twr = 29;
  std::uint32_t twtr = 16;
  std::uint32_t trtp = 12;
  std::uint32_t tccd = 8;      // column to column, different bank group
  std::uint32_t tccd_l = 8;    // column to column, same bank group
  std::uint32_t trfc = 448;    // all-bank refresh cycle
  std::uint32_t trefi = 6246;  // all-bank refresh interval; 0 disables refresh
  /// per_bank: one bank every trefi / banks-per-rank, blocking that bank for trfc_pb.
  RefreshMode refresh_mode = RefreshMode::kPerBank;
  std::uint32_t trfc_pb = 224;

  std::uint32_t queue_depth = 32;  // AT mode: transactions the controller holds
  /// Posted-write buffer per channel, in bursts (0: writes go to the DRAM at once). Writes
  /// complete when buffered and are drained in batches, so read/write turnarounds are paid
  /// once per batch, as controllers with a write queue do.
  std::uint32_t write_buffer_bursts = 32;
  /// Buffered writes are drained when half the buffer holds undrained writes, or when the
  /// oldest has waited this long.
  std::uint32_t write_hold_ns = 1000;
  /// Keep written bytes (functional mode). False: timing and counters only, reads return the
  /// initiator's buffer unchanged; debug transport still stores.
  bool store_data = true;

  // Energy, whole-event figures for one channel's devices.
  double activate_pj = 797.0;
  double precharge_pj = 478.0;
  double read_pj_per_bit = 8.5;
  double write_pj_per_bit = 5.0;
  double refresh_pj = 23400.0;
  double background_mw = 70.0;  // whole DRAM (all channels and ranks)
  std::string energy_source;

  // type: simple.
  double latency_ns = 100.0;
  double bandwidth_gbps = 12.8;

  /// Bytes moved by one burst on one channel.
  std::uint64_t burst_bytes() const {
    return static_cast<std::uint64_t>(bus_width_bits) / 8 * burst_length;
  }
  /// Bytes of one row (page) of one rank of one channel.
  std::uint64_t row_bytes() const {
    return static_cast<std::uint64_t>(bus_width_bits) / 8 * columns;
  }
  /// Bytes the geometry addresses.
  std::uint64_t capacity_bytes() const;
  /// Theoretical peak bandwidth over all channels, GB/s (10^9 bytes per second).
  double peak_bandwidth_gbps() const;
  /// Total banks over all channels and ranks.
  std::uint32_t total_banks() const { return channels * ranks * bank_groups * banks; }
};

/// Names of the built-in presets ("lpddr4-3200", ...).
std::vector<std::string> dram_preset_names();
/// YAML text of a built-in preset, embedded at build time from platforms/dram/<name>.yaml;
/// empty when there is no such preset.
std::string dram_preset_yaml(const std::string& name);

/// Parses a platform's `dram:` section: `preset` values first, then the section's own keys.
DramParams parse_dram(const sim::ConfigNode& node);

/// Decodes an address_mapping (order string or per-bit list) against the geometry in
/// `params`; on a bad mapping returns {} and sets `error` to what was expected.
std::vector<DramBitSegment> decode_address_mapping(const std::vector<std::string>& mapping,
                                                   const DramParams& params, std::string& error);

}  // namespace models
