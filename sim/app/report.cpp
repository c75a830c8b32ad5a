#include "sim/app/report.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "sim/sweep/json.h"

namespace app {

namespace {

/// JSON string literal (the sweep engine's JSON writer escapes the same way for results).
std::string json_string(const std::string& text) { return sweep::json_quote(text); }

std::string number(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

/// Femtojoules as an exact decimal number of picojoules ("1234.567").
std::string pj(models::Femtojoules fj) {
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%llu.%03llu", static_cast<unsigned long long>(fj / 1000),
                static_cast<unsigned long long>(fj % 1000));
  return buffer;
}

std::string human_energy(models::Femtojoules fj) {
  const double pj_value = fj / 1000.0;
  char buffer[32];
  if (pj_value >= 1e6) {
    std::snprintf(buffer, sizeof(buffer), "%.3f uJ", pj_value / 1e6);
  } else if (pj_value >= 1e3) {
    std::snprintf(buffer, sizeof(buffer), "%.3f nJ", pj_value / 1e3);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.3f pJ", pj_value);
  }
  return buffer;
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), unit == 0 ? "%.0f %s" : "%.2f %s", bytes, units[unit]);
  return buffer;
}

std::string grouped(std::uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

/// summary.json's `pipeline` object (accelerator.type pipelined, docs/ull.md).
std::string pipeline_json(const platforms::PipelineResult& p) {
  std::ostringstream out;
  auto resources = [](const workloads::FpgaBudget& b) {
    return "{\"luts\": " + std::to_string(b.luts) + ", \"dsps\": " + std::to_string(b.dsps) +
           ", \"bram_bits\": " + std::to_string(b.bram_bits) + "}";
  };
  std::uint64_t multipliers = 0;
  for (const auto& s : p.stages) multipliers += s.multipliers;
  out << "  \"pipeline\": {\"device\": " << json_string(p.device) << ", \"frames\": " << p.frames
      << ", \"latency_cycles\": " << p.latency_cycles
      << ", \"latency_ns\": " << number(p.latency_ns)
      << ", \"max_latency_cycles\": " << p.max_latency_cycles
      << ", \"interval_cycles\": " << p.interval_cycles
      << ", \"throughput_fps\": " << number(p.throughput_fps)
      << ",\n    \"estimated_latency_cycles\": " << p.estimated_latency_cycles
      << ", \"estimated_interval_cycles\": " << p.estimated_interval_cycles
      << ", \"fifo_full_stall_cycles\": " << p.fifo_full_stall_cycles
      << ", \"input_stall_cycles\": " << p.input_stall_cycles
      << ", \"input_fifo_max_rows\": " << p.input_fifo_max_rows
      << ", \"multipliers\": " << multipliers << ",\n    \"slowest_stage\": "
      << json_string(p.slowest_stage < p.stages.size() ? p.stages[p.slowest_stage].name : "")
      << ", \"budget\": " << resources(p.budget) << ", \"used\": " << resources(p.used)
      << ",\n    \"stages\": {";
  for (std::size_t i = 0; i < p.stages.size(); ++i) {
    const auto& s = p.stages[i];
    out << (i ? ",\n      " : "\n      ") << json_string(s.name) << ": {\"layer\": " << s.layer
        << ", \"fused\": " << json_string(s.fused) << ", \"pi\": " << s.pi << ", \"po\": " << s.po
        << ", \"pk\": " << s.pk << ", \"pw\": " << s.pw << ", \"multipliers\": " << s.multipliers
        << ", \"lut_multipliers\": " << (s.lut_multipliers ? "true" : "false")
        << ", \"w_bits\": " << s.w_bits << ", \"a_bits\": " << s.a_bits
        << ", \"interval_cycles\": " << s.interval_cycles << ", \"busy_cycles\": " << s.busy_cycles
        << ", \"input_wait_cycles\": " << s.input_wait_cycles
        << ", \"output_stall_cycles\": " << s.output_stall_cycles << ", \"macs\": " << s.macs
        << ", \"utilization\": " << number(s.utilization) << ", \"luts\": " << s.luts
        << ", \"dsps\": " << s.dsps << ", \"bram_bits\": " << s.bram_bits
        << ", \"fifo_depth_rows\": " << s.fifo_depth_rows
        << ", \"fifo_max_rows\": " << s.fifo_max_rows
        << ", \"fifo_full_stall_cycles\": " << s.fifo_full_stall_cycles << "}";
  }
  out << (p.stages.empty() ? "}},\n" : "\n    }},\n");
  return out.str();
}

}  // namespace

std::string summary_json(const RunInfo& info, const platforms::RunResult& r,
                         const platforms::PlatformParams& params) {
  std::ostringstream out;
  out << "{\n";
  out << "  \"feasible\": " << (r.feasible ? "true" : "false") << ",\n";
  out << "  \"reason\": " << json_string(r.reason) << ",\n";
  out << "  \"platform\": " << json_string(info.platform) << ",\n";
  out << "  \"workload\": " << json_string(info.workload) << ",\n";
  out << "  \"scheme\": " << json_string(info.scheme) << ",\n";
  out << "  \"edgesim_version\": " << json_string(EDGESIM_VERSION) << ",\n";
  out << "  \"clock_mhz\": " << params.accelerator.clock_mhz << ",\n";
  if (params.accelerator.type != "pipelined") {  // a pipelined accelerator has no PE array
    out << "  \"pe_rows\": " << params.accelerator.pe_array.rows << ",\n";
    out << "  \"pe_cols\": " << params.accelerator.pe_array.cols << ",\n";
  }
  out << "  \"iterations\": " << info.iterations << ",\n";
  out << "  \"simulated_phases\": " << info.simulated_phases << ",\n";
  out << "  \"param_memory_bytes\": " << info.param_memory_bytes << ",\n";
  out << "  \"total_cycles\": " << r.total_cycles << ",\n";
  out << "  \"compute_cycles\": " << r.compute_cycles << ",\n";
  out << "  \"stall_cycles\": " << r.stall_cycles << ",\n";
  out << "  \"simulated_ns\": " << number(r.simulated_ns) << ",\n";
  out << "  \"macs\": " << r.macs << ",\n";
  out << "  \"pe_utilization\": " << number(r.pe_utilization) << ",\n";
  out << "  \"dram_read_bytes\": " << r.dram_read_bytes << ",\n";
  out << "  \"dram_write_bytes\": " << r.dram_write_bytes << ",\n";
  out << "  \"sram_read_bytes\": " << r.sram_read_bytes << ",\n";
  out << "  \"sram_write_bytes\": " << r.sram_write_bytes << ",\n";
  out << "  \"dram_row_hit_rate\": " << number(r.dram_row_hit_rate) << ",\n";
  out << "  \"dram_avg_latency_ns\": " << number(r.dram_avg_latency_ns) << ",\n";
  out << "  \"dram_peak_bandwidth_gbps\": " << number(r.dram_peak_gbps) << ",\n";
  out << "  \"dram_bytes_by_tensor_class\": {";
  for (std::size_t c = 0; c < workloads::kTensorClassCount; ++c) {
    out << (c ? ", " : "")
        << json_string(workloads::tensor_class_name(static_cast<workloads::TensorClass>(c))) << ": "
        << r.dram_bytes_by_class[c];
  }
  out << "},\n";
  const auto& e = r.energy;
  out << "  \"energy_pj\": {\"total\": " << pj(e.total()) << ", \"mac\": " << pj(e.mac)
      << ", \"sram\": " << pj(e.sram) << ", \"dram\": " << pj(e.dram)
      << ", \"vector\": " << pj(e.vector) << ", \"leakage\": " << pj(e.leakage)
      << ",\n    \"by_tensor_class\": {";
  for (std::size_t c = 0; c <= workloads::kTensorClassCount; ++c) {
    const std::string name =
        c < workloads::kTensorClassCount
            ? workloads::tensor_class_name(static_cast<workloads::TensorClass>(c))
            : "compute";
    out << (c ? ", " : "") << json_string(name) << ": " << pj(e.by_class[c]);
  }
  out << "},\n    \"by_phase\": {";
  for (std::size_t p = 0; p <= workloads::kPhaseCount; ++p) {
    const std::string name = p < workloads::kPhaseCount
                                 ? workloads::phase_name(static_cast<workloads::Phase>(p))
                                 : "other";
    out << (p ? ", " : "") << json_string(name) << ": " << pj(e.by_phase[p]);
  }
  out << "}},\n";
  if (r.pipeline.enabled) out << pipeline_json(r.pipeline);
  out << "  \"functional_checked_ops\": " << r.checked_ops << ",\n";
  out << "  \"skipped_nodes\": [";
  for (std::size_t i = 0; i < info.skipped_nodes.size(); ++i) {
    out << (i ? ", " : "") << json_string(info.skipped_nodes[i]);
  }
  out << "],\n";
  for (const auto& [key, value] : info.extra_json) {
    out << "  " << json_string(key) << ": " << value << ",\n";
  }
  out << "  \"layers\": " << r.layers.size() << ",\n";
  out << "  \"sim_wall_seconds\": " << number(info.sim_wall_seconds) << ",\n";
  out << "  \"counters\": {";
  for (std::size_t i = 0; i < r.counters.size(); ++i) {
    out << (i ? ",\n    " : "\n    ") << json_string(r.counters[i].first) << ": "
        << r.counters[i].second;
  }
  out << (r.counters.empty() ? "}\n" : "\n  }\n");
  out << "}\n";
  return out.str();
}

std::string layers_csv(const platforms::RunResult& r) {
  std::ostringstream out;
  out << "layer_index,name,type,phase,cycles,compute_cycles,stall_cycles,macs,pe_utilization,"
         "dram_read_bytes,dram_write_bytes,sram_read_bytes,sram_write_bytes,tiles,tile_m,tile_n,"
         "tile_k,loop_order,w_bits,a_bits,vector_ops,energy_pj,energy_mac_pj,energy_sram_pj,"
         "energy_dram_pj,energy_vector_pj,energy_leakage_pj,dram_row_hit_rate,dram_avg_latency_ns";
  for (std::size_t c = 0; c < workloads::kTensorClassCount; ++c) {
    out << ",dram_" << workloads::tensor_class_name(static_cast<workloads::TensorClass>(c))
        << "_bytes";
  }
  out << ",weight_elements";
  if (r.pipeline.enabled) {
    out << ",pi,po,pk,pw,multipliers,interval_cycles,input_wait_cycles,luts,dsps,bram_bits,"
           "fifo_depth_rows,fifo_max_rows,fifo_full_stall_cycles";
  }
  out << "\n";
  for (std::size_t i = 0; i < r.layers.size(); ++i) {
    const auto& l = r.layers[i];
    out << i << ',' << l.name << ',' << l.type << ',' << l.phase << ',' << l.cycles << ','
        << l.compute_cycles << ',' << l.stall_cycles << ',' << l.macs << ','
        << number(l.pe_utilization) << ',' << l.dram_read_bytes << ',' << l.dram_write_bytes << ','
        << l.sram_read_bytes << ',' << l.sram_write_bytes << ',' << l.tiles << ',' << l.tile_m
        << ',' << l.tile_n << ',' << l.tile_k << ',' << l.loop_order << ',' << l.w_format << ','
        << l.a_format << ',' << l.vector_ops << ','
        << pj(l.energy_mac + l.energy_sram + l.energy_dram + l.energy_vector + l.energy_leakage)
        << ',' << pj(l.energy_mac) << ',' << pj(l.energy_sram) << ',' << pj(l.energy_dram) << ','
        << pj(l.energy_vector) << ',' << pj(l.energy_leakage) << ','
        << number(l.dram_bursts ? static_cast<double>(l.dram_row_hits) / l.dram_bursts : 0.0) << ','
        << number(l.dram_requests ? l.dram_latency_ps / 1000.0 / l.dram_requests : 0.0);
    for (std::size_t c = 0; c < workloads::kTensorClassCount; ++c) {
      out << ',' << l.dram_bytes_by_class[c];
    }
    out << ',' << l.weight_elements;
    for (const auto& s : r.pipeline.stages) {
      if (s.layer != l.layer) continue;
      out << ',' << s.pi << ',' << s.po << ',' << s.pk << ',' << s.pw << ',' << s.multipliers << ','
          << s.interval_cycles << ',' << s.input_wait_cycles << ',' << s.luts << ',' << s.dsps
          << ',' << s.bram_bits << ',' << s.fifo_depth_rows << ',' << s.fifo_max_rows << ','
          << s.fifo_full_stall_cycles;
    }
    out << "\n";
  }
  return out.str();
}

void print_summary(std::ostream& out, const RunInfo& info, const platforms::RunResult& r,
                   const platforms::PlatformParams& params, const std::string& run_dir) {
  char line[256];
  out << "edgesim " << EDGESIM_VERSION << ": " << info.platform << " / " << info.workload << " / "
      << info.scheme << "\n";
  if (!r.feasible) {
    out << "  infeasible design point: " << r.reason << "\n";
  } else if (r.pipeline.enabled) {
    const auto& p = r.pipeline;
    std::snprintf(line, sizeof(line),
                  "  batch-1 latency %s cycles (%.3f us at %u MHz), pipelined on %s\n",
                  grouped(p.latency_cycles).c_str(), p.latency_ns / 1000.0,
                  params.accelerator.clock_mhz, p.device.c_str());
    out << line;
    std::snprintf(line, sizeof(line),
                  "  interval       %s cycles per frame, %.0f frames/s (%u frames streamed)\n",
                  grouped(p.interval_cycles).c_str(), p.throughput_fps, p.frames);
    out << line;
    std::uint64_t multipliers = 0;
    for (const auto& s : p.stages) multipliers += s.multipliers;
    std::snprintf(line, sizeof(line),
                  "  resources      %llu/%llu LUTs, %llu/%llu DSPs, %.1f/%.1f BRAM36; %s "
                  "multipliers in %zu stages\n",
                  static_cast<unsigned long long>(p.used.luts),
                  static_cast<unsigned long long>(p.budget.luts),
                  static_cast<unsigned long long>(p.used.dsps),
                  static_cast<unsigned long long>(p.budget.dsps), p.used.bram_bits / (36.0 * 1024),
                  p.budget.bram_bits / (36.0 * 1024), grouped(multipliers).c_str(),
                  p.stages.size());
    out << line;
    const std::string slowest =
        p.slowest_stage < p.stages.size() ? p.stages[p.slowest_stage].name : "";
    std::snprintf(line, sizeof(line),
                  "  stages         slowest %s; FIFO full stalls %s cycles; total %s cycles\n",
                  slowest.c_str(), grouped(p.fifo_full_stall_cycles).c_str(),
                  grouped(r.total_cycles).c_str());
    out << line;
    const auto& e = r.energy;
    const double total = e.total() > 0 ? static_cast<double>(e.total()) : 1.0;
    std::snprintf(line, sizeof(line),
                  "  energy         %s: MAC %.1f%%, on-chip memory %.1f%%, leakage %.1f%%\n",
                  human_energy(e.total()).c_str(), 100.0 * e.mac / total, 100.0 * e.sram / total,
                  100.0 * e.leakage / total);
    out << line;
  } else {
    const double us = r.simulated_ns / 1000.0;
    std::snprintf(line, sizeof(line), "  total cycles   %s (%.3f us at %u MHz)\n",
                  grouped(r.total_cycles).c_str(), us, params.accelerator.clock_mhz);
    out << line;
    std::snprintf(line, sizeof(line), "  stall cycles   %s (%.1f%% of total)\n",
                  grouped(r.stall_cycles).c_str(),
                  r.total_cycles ? 100.0 * r.stall_cycles / r.total_cycles : 0.0);
    out << line;
    std::snprintf(line, sizeof(line), "  MACs           %s on %ux%u PEs, utilization %.1f%%\n",
                  grouped(r.macs).c_str(), params.accelerator.pe_array.rows,
                  params.accelerator.pe_array.cols, 100.0 * r.pe_utilization);
    out << line;
    std::snprintf(line, sizeof(line), ", row hits %.1f%%, average latency %.0f ns\n",
                  100.0 * r.dram_row_hit_rate, r.dram_avg_latency_ns);
    out << "  DRAM           read " << human_bytes(r.dram_read_bytes) << ", write "
        << human_bytes(r.dram_write_bytes) << line;
    out << "  SRAM           read " << human_bytes(r.sram_read_bytes) << ", write "
        << human_bytes(r.sram_write_bytes) << "\n";
    const auto& e = r.energy;
    const double total = e.total() > 0 ? static_cast<double>(e.total()) : 1.0;
    std::snprintf(line, sizeof(line),
                  "  energy         %s: MAC %.1f%%, SRAM %.1f%%, DRAM %.1f%%, vector %.1f%%, "
                  "leakage %.1f%%\n",
                  human_energy(e.total()).c_str(), 100.0 * e.mac / total, 100.0 * e.sram / total,
                  100.0 * e.dram / total, 100.0 * e.vector / total, 100.0 * e.leakage / total);
    out << line;
    if (info.iterations > 1) {
      out << "  iterations     " << info.iterations << " (" << info.simulated_phases
          << (info.simulated_phases == 1 ? " bitwidth configuration"
                                         : " distinct bitwidth configurations")
          << " simulated once each and counted per iteration)\n";
    }
    if (r.checked_ops > 0) {
      out << "  functional     " << r.checked_ops << " ops matched the reference product\n";
    }
  }
  if (!info.skipped_nodes.empty()) {
    out << "  skipped        " << info.skipped_nodes.size()
        << " unsupported model nodes (listed in summary.json)\n";
  }
  std::snprintf(line, sizeof(line), "  wall time      %.3f s\n", info.sim_wall_seconds);
  out << line;
  out << "  run directory  " << run_dir << "\n";
}

}  // namespace app
