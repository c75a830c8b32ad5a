#include "workloads/training/rct_trajectory.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace workloads {

GradientModel parse_gradient_model(const sim::ConfigNode& node) {
  GradientModel m;
  m.g0 = node.get_in_range("g0", m.g0, 1e-12, 1e6);
  m.tau_iterations = node.get_in_range("tau_iterations", m.tau_iterations, 1e-6, 1e12);
  m.alpha = node.get_in_range("alpha", m.alpha, 0.0, 10.0);
  m.weight_range = node.get_in_range("weight_range", m.weight_range, 1e-12, 1e6);
  return m;
}

namespace {

std::vector<std::size_t> parameterised_layers(const Network& network) {
  std::vector<std::size_t> layers;
  for (std::size_t i = 0; i < network.layers.size(); ++i) {
    if (network.layers[i].runs_on_pe_array() && network.layers[i].weight_elements() > 0) {
      layers.push_back(i);
    }
  }
  return layers;
}

}  // namespace

std::vector<BitwidthPhase> rct_policy_phases(const Network& network,
                                             const std::vector<LayerPrecision>& initial,
                                             const quant::RctPolicyParams& policy,
                                             const GradientModel& model, std::uint64_t iterations,
                                             quant::BitwidthSchedule& schedule) {
  const auto layers = parameterised_layers(network);
  quant::RctBitwidthPolicy rct(policy, layers.size());
  std::vector<BitwidthPhase> phases;
  // Per layer: the open schedule row and the G_avg values it has seen.
  std::vector<quant::ScheduleRow> open(layers.size());
  std::vector<double> g_sum(layers.size(), 0.0);
  std::vector<std::uint64_t> g_count(layers.size(), 0);
  auto close_row = [&](std::size_t j, std::uint64_t end) {
    if (end <= open[j].iter_begin) return;  // a change decided after the last iteration
    open[j].iter_end = end;
    open[j].g_avg = g_count[j] ? g_sum[j] / g_count[j] : std::nan("");
    open[j].underflow_fraction = 0.0;  // not known from the statistical model
    schedule.rows.push_back(open[j]);
  };
  for (std::size_t j = 0; j < layers.size(); ++j) {
    const auto& p = initial[layers[j]];
    open[j] = {static_cast<std::uint32_t>(j),
               network.layers[layers[j]].name,
               0,
               0,
               rct.bits(j),
               p.a.bits,
               p.g.bits,
               0.0,
               0.0};
  }
  for (std::uint64_t t = 0; t < iterations; ++t) {
    std::vector<LayerPrecision> precision = initial;
    for (std::size_t j = 0; j < layers.size(); ++j) {
      precision[layers[j]].w = {NumberKind::kInt, rct.bits(j)};
    }
    if (phases.empty() || [&] {
          for (std::size_t j = 0; j < layers.size(); ++j) {
            if (!(phases.back().precision[layers[j]].w == precision[layers[j]].w)) return true;
          }
          return false;
        }()) {
      phases.push_back({t, 0, precision});
    }
    ++phases.back().iterations;
    // The software reads each layer's gradient statistics after the backward pass.
    const double mean_abs =
        model.g0 * std::pow(1.0 + static_cast<double>(t) / model.tau_iterations, -model.alpha);
    for (std::size_t j = 0; j < layers.size(); ++j) {
      const double step = model.weight_range / std::ldexp(1.0, static_cast<int>(rct.bits(j)) - 1);
      const double value = mean_abs / step;
      rct.observe(j, value);
      g_sum[j] += value;
      ++g_count[j];
    }
    const std::vector<std::uint32_t> before = [&] {
      std::vector<std::uint32_t> b;
      for (std::size_t j = 0; j < layers.size(); ++j) b.push_back(rct.bits(j));
      return b;
    }();
    if (rct.end_iteration()) {
      for (std::size_t j = 0; j < layers.size(); ++j) {
        if (rct.bits(j) != before[j]) {
          close_row(j, t + 1);
          open[j].iter_begin = t + 1;
          open[j].w_bits = rct.bits(j);
          g_sum[j] = 0;
          g_count[j] = 0;
        }
      }
    }
  }
  for (std::size_t j = 0; j < layers.size(); ++j) close_row(j, iterations);
  // schedule.csv lists each layer's rows together, in iteration order.
  std::stable_sort(schedule.rows.begin(), schedule.rows.end(),
                   [](const quant::ScheduleRow& a, const quant::ScheduleRow& b) {
                     return a.layer != b.layer ? a.layer < b.layer : a.iter_begin < b.iter_begin;
                   });
  return phases;
}

std::vector<BitwidthPhase> schedule_phases(const Network& network,
                                           const std::vector<LayerPrecision>& base,
                                           const quant::BitwidthSchedule& schedule) {
  std::set<std::uint64_t> boundaries{0, schedule.iteration_count()};
  for (const auto& row : schedule.rows) boundaries.insert(row.iter_begin);
  std::vector<BitwidthPhase> phases;
  for (auto it = boundaries.begin(); std::next(it) != boundaries.end(); ++it) {
    const std::uint64_t begin = *it, end = *std::next(it);
    if (end <= begin) continue;
    BitwidthPhase phase{begin, end - begin, base};
    for (std::size_t i = 0; i < network.layers.size(); ++i) {
      for (const auto& row : schedule.rows) {
        if (row.layer_name != network.layers[i].name) continue;
        if (row.iter_begin <= begin && begin < row.iter_end) {
          auto format_of = [](std::uint32_t bits) {
            return bits >= 32 ? NumberFormat{NumberKind::kFp32, 32}
                              : NumberFormat{NumberKind::kInt, bits};
          };
          phase.precision[i].w = format_of(row.w_bits);
          phase.precision[i].a = format_of(row.a_bits);
          phase.precision[i].g = format_of(row.g_bits);
        }
      }
    }
    // Merge with the previous phase when the widths did not change.
    if (!phases.empty()) {
      bool same = true;
      for (std::size_t i = 0; i < network.layers.size(); ++i) {
        const auto& a = phases.back().precision[i];
        const auto& b = phase.precision[i];
        same = same && a.w == b.w && a.a == b.a && a.g == b.g;
      }
      if (same) {
        phases.back().iterations += phase.iterations;
        continue;
      }
    }
    phases.push_back(phase);
  }
  return phases;
}

}  // namespace workloads
