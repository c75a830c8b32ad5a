#pragma once
// SCALE-Sim v2 configuration files (.cfg, INI) as edgesim configuration (docs/scalesim.md).

#include <string>

#include "sim/core/config.h"

namespace platforms {

/// Reads a SCALE-Sim config (sections general, architecture_presets, run_presets, and the
/// sparsity / network_presets sections some shipped files carry; keys case-insensitive;
/// `key: value` or `key = value`; `#` / `;` comments) and merges its meaning into `config`
/// with every value located at its line in `cfg_path`:
///   run_name                      -> name
///   ArrayHeight / ArrayWidth      -> accelerator.pe_array.rows / cols
///   Dataflow (os|ws|is)           -> accelerator.pe_array.dataflow
///   Ifmap/Filter/OfmapSramSzkB    -> accelerator.sram.ifmap_bytes / weight_bytes / ofmap_bytes
///                                    (kB x 1024)
///   InterfaceBandwidth USER       -> dram.type: simple, dram.bandwidth_gbps = Bandwidth
///                                    (words of one byte per cycle) x clock_mhz / 1000
///   always                        -> sim.scalesim_compat: true
/// Keys SCALE-Sim v2 reads but that have no effect on its results (offsets, MemoryBanks,
/// bank/layout/row-size keys) are checked and otherwise ignored. An unknown section or key,
/// a missing required key or a bad value throws sim::ConfigError `file:line: ...`.
void apply_scalesim_config(const std::string& cfg_path, sim::Config& config,
                           double clock_mhz = 1000.0);

}  // namespace platforms
