#include "platforms/result_io.h"

#include <sstream>

namespace platforms {

namespace {

template <typename F>
void each_row_count(LayerResult& r, F f) {
  f(r.cycles);
  f(r.compute_cycles);
  f(r.stall_cycles);
  f(r.macs);
  f(r.vector_ops);
  f(r.tiles);
  f(r.dram_bursts);
  f(r.dram_row_hits);
  f(r.dram_requests);
  f(r.dram_latency_ps);
  f(r.dram_read_bytes);
  f(r.dram_write_bytes);
  f(r.sram_read_bytes);
  f(r.sram_write_bytes);
  for (auto& v : r.dram_bytes_by_class) f(v);
  for (auto& v : r.dram_read_bytes_by_class) f(v);
  for (auto& v : r.dram_write_bytes_by_class) f(v);
  f(r.energy_mac);
  f(r.energy_sram);
  f(r.energy_dram);
  f(r.energy_leakage);
  f(r.energy_vector);
}

template <typename F>
void each_result_count(RunResult& r, F f) {
  f(r.total_cycles);
  f(r.stall_cycles);
  f(r.compute_cycles);
  f(r.macs);
  f(r.dram_read_bytes);
  f(r.dram_write_bytes);
  f(r.sram_read_bytes);
  f(r.sram_write_bytes);
  for (auto& v : r.dram_bytes_by_class) f(v);
  f(r.checked_ops);
  f(r.energy.mac);
  f(r.energy.sram);
  f(r.energy.dram);
  f(r.energy.vector);
  f(r.energy.leakage);
  for (auto& v : r.energy.by_class) f(v);
  for (auto& v : r.energy.by_phase) f(v);
}

std::string word(const std::string& s) { return s.empty() ? "-" : s; }
std::string unword(const std::string& s) { return s == "-" ? "" : s; }

}  // namespace

std::string serialize(const RunResult& result) {
  RunResult r = result;
  std::ostringstream out;
  out.precision(17);
  out << (r.feasible ? 1 : 0) << '\n' << r.reason << '\n';
  each_result_count(r, [&](std::uint64_t& v) { out << v << ' '; });
  out << r.pe_utilization << ' ' << r.simulated_ns << ' ' << r.dram_row_hit_rate << ' '
      << r.dram_avg_latency_ns << ' ' << r.dram_peak_gbps << '\n';
  out << r.layers.size() << '\n';
  for (auto& row : r.layers) {
    out << row.layer << ' ' << row.phase_index << ' ' << word(row.name) << ' ' << word(row.type)
        << ' ' << word(row.phase) << ' ' << word(row.loop_order) << ' ' << word(row.w_format) << ' '
        << word(row.a_format) << ' ' << row.tile_m << ' ' << row.tile_n << ' ' << row.tile_k << ' '
        << row.pe_utilization;
    each_row_count(row, [&](auto& v) { out << ' ' << v; });
    out << '\n';
  }
  out << r.counters.size() << '\n';
  for (const auto& [name, value] : r.counters) out << name << ' ' << value << '\n';
  return out.str();
}

RunResult deserialize(const std::string& text) {
  std::istringstream in(text);
  RunResult r;
  int feasible = 0;
  in >> feasible;
  r.feasible = feasible != 0;
  in.ignore();
  std::getline(in, r.reason);
  each_result_count(r, [&](std::uint64_t& v) { in >> v; });
  in >> r.pe_utilization >> r.simulated_ns >> r.dram_row_hit_rate >> r.dram_avg_latency_ns >>
      r.dram_peak_gbps;
  std::size_t rows = 0;
  in >> rows;
  for (std::size_t i = 0; i < rows && in; ++i) {
    LayerResult row;
    std::string name, type, phase, order, w, a;
    in >> row.layer >> row.phase_index >> name >> type >> phase >> order >> w >> a >> row.tile_m >>
        row.tile_n >> row.tile_k >> row.pe_utilization;
    row.name = unword(name);
    row.type = unword(type);
    row.phase = unword(phase);
    row.loop_order = unword(order);
    row.w_format = unword(w);
    row.a_format = unword(a);
    each_row_count(row, [&](auto& v) { in >> v; });
    r.layers.push_back(row);
  }
  std::size_t counters = 0;
  in >> counters;
  for (std::size_t i = 0; i < counters && in; ++i) {
    std::string name;
    std::uint64_t value = 0;
    in >> name >> value;
    r.counters.emplace_back(name, value);
  }
  EDGESIM_CHECK(static_cast<bool>(in), "malformed simulation result from a child process");
  return r;
}

void scale(RunResult& result, std::uint64_t factor) {
  each_result_count(result, [&](std::uint64_t& v) { v *= factor; });
  result.simulated_ns *= static_cast<double>(factor);
  for (auto& row : result.layers) each_row_count(row, [&](auto& v) { v *= factor; });
  for (auto& entry : result.counters) entry.second *= factor;
}

void accumulate(RunResult& into, const RunResult& from) {
  RunResult add = from;
  if (!add.feasible && into.feasible) {
    into.feasible = false;
    into.reason = add.reason;
  }
  std::vector<std::uint64_t> values;
  each_result_count(add, [&](std::uint64_t& v) { values.push_back(v); });
  std::size_t i = 0;
  each_result_count(into, [&](std::uint64_t& v) { v += values[i++]; });
  // Rates of the sum: weighted by the time each part ran.
  const double weight = into.simulated_ns + add.simulated_ns;
  if (weight > 0) {
    into.dram_row_hit_rate = (into.dram_row_hit_rate * into.simulated_ns +
                              add.dram_row_hit_rate * add.simulated_ns) / weight;
    into.dram_avg_latency_ns = (into.dram_avg_latency_ns * into.simulated_ns +
                                add.dram_avg_latency_ns * add.simulated_ns) / weight;
  }
  into.simulated_ns += add.simulated_ns;
  for (auto& row : add.layers) {
    LayerResult* target = nullptr;
    for (auto& existing : into.layers) {
      if (existing.layer == row.layer && existing.phase_index == row.phase_index) {
        target = &existing;
      }
    }
    if (!target) {
      into.layers.push_back(row);
      continue;
    }
    std::vector<std::uint64_t> row_values;
    each_row_count(row, [&](auto& v) { row_values.push_back(v); });
    std::size_t j = 0;
    each_row_count(*target, [&](auto& v) { v += row_values[j++]; });
    if (target->w_format != row.w_format) target->w_format = "mixed";
  }
  for (const auto& [name, value] : add.counters) {
    bool found = false;
    for (auto& entry : into.counters) {
      if (entry.first == name) {
        entry.second += value;
        found = true;
      }
    }
    if (!found) into.counters.emplace_back(name, value);
  }
}

}  // namespace platforms
