#include "sim/core/vcd_writer.h"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "sim/core/config.h"

namespace sim {

namespace {

std::string identifier_code(std::size_t index) {
  // VCD identifiers use the printable characters '!' (33) to '~' (126).
  std::string code;
  do {
    code += static_cast<char>(33 + index % 94);
    index /= 94;
  } while (index > 0);
  return code;
}

void emit_value(std::string& out, unsigned width, std::uint64_t value, const std::string& code) {
  if (width == 1) {
    out += value ? '1' : '0';
  } else {
    out += 'b';
    if (value == 0) {
      out += '0';
    } else {
      int bit = 63;
      while (((value >> bit) & 1U) == 0) --bit;
      for (; bit >= 0; --bit) out += ((value >> bit) & 1U) ? '1' : '0';
    }
    out += ' ';
  }
  out += code;
  out += '\n';
}

}  // namespace

const char* trace_level_name(TraceLevel level) {
  switch (level) {
    case TraceLevel::kLayer:
      return "layer";
    case TraceLevel::kTile:
      return "tile";
    case TraceLevel::kCycle:
      return "cycle";
  }
  return "tile";
}

std::optional<TraceLevel> parse_trace_level(const std::string& text) {
  if (text == "layer") return TraceLevel::kLayer;
  if (text == "tile") return TraceLevel::kTile;
  if (text == "cycle") return TraceLevel::kCycle;
  return std::nullopt;
}

bool glob_match(const std::string& pattern, const std::string& text) {
  return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

VcdWriter::VcdWriter(VcdOptions options) : options_(std::move(options)) {
  EDGESIM_CHECK(options_.rate_window_ps > 0, "VCD rate window must be > 0");
  EDGESIM_CHECK(options_.window_start_ps <= options_.window_end_ps, "VCD window is empty");
}

VcdWriter::SignalId VcdWriter::declare(const std::string& scope, const std::string& name,
                                       unsigned width_bits, TraceLevel level, bool rate) {
  EDGESIM_CHECK(width_bits >= 1 && width_bits <= 64, "VCD signal width out of range: " + name);
  VcdSignalInfo info;
  info.scope = scope;
  info.name = name;
  info.width = width_bits;
  info.rate = rate;
  State state;
  state.enabled = options_.record_signals && level <= options_.level;
  if (state.enabled && !options_.signals.empty()) {
    const std::string full = info.full_name();
    state.enabled = std::any_of(options_.signals.begin(), options_.signals.end(),
                                [&](const std::string& p) { return glob_match(p, full); });
  }
  if (state.enabled) info.code = identifier_code(enabled_count_++);
  if (width_bits < 64) state.mask = (std::uint64_t{1} << width_bits) - 1;
  info_.push_back(std::move(info));
  state_.push_back(state);
  rate_buckets_.emplace_back();
  return static_cast<SignalId>(info_.size() - 1);
}

VcdWriter::SignalId VcdWriter::add_signal(const std::string& scope, const std::string& name,
                                          unsigned width_bits, TraceLevel level) {
  return declare(scope, name, width_bits, level, false);
}

VcdWriter::SignalId VcdWriter::add_rate_signal(const std::string& scope, const std::string& name,
                                               TraceLevel level) {
  return declare(scope, name, 32, level, true);
}

void VcdWriter::record(State& s, SignalId signal, std::uint64_t time_ps, std::uint64_t value) {
  value &= s.mask;
  if (time_ps < options_.window_start_ps) {
    // Only the latest value before the window matters: it is the value at the window's start.
    if (!s.has_before || time_ps >= s.before_time) {
      s.has_before = true;
      s.before_time = time_ps;
      s.before_value = value;
    }
    return;
  }
  if (time_ps > options_.window_end_ps) return;
  // Recorded in time order and unchanged: nothing to say. Out-of-order records are always
  // kept; write() orders them and drops what does not change.
  if (s.has_last && time_ps >= s.last_time && value == s.last_value) return;
  s.has_last = true;
  s.last_time = time_ps;
  s.last_value = value;
  changes_.push_back({time_ps, value, signal});
}

void VcdWriter::accumulate(SignalId signal, std::uint64_t time_ps, std::uint64_t amount) {
  if (time_ps < options_.window_start_ps || time_ps > options_.window_end_ps) return;
  auto& buckets = rate_buckets_[signal];
  const std::uint64_t index = (time_ps - options_.window_start_ps) / options_.rate_window_ps;
  if (index >= buckets.size()) buckets.resize(index + 1, 0);
  buckets[index] += amount;
  State& s = state_[signal];
  s.rate_index = index;
  s.rate_lo = options_.window_start_ps + index * options_.rate_window_ps;
  s.rate_hi = std::min(s.rate_lo + options_.rate_window_ps,
                       options_.window_end_ps == std::numeric_limits<std::uint64_t>::max()
                           ? options_.window_end_ps
                           : options_.window_end_ps + 1);
}

void VcdWriter::set_legend(SignalId signal, std::vector<std::string> names) {
  info_[signal].legend = std::move(names);
}

std::optional<VcdWriter::SignalId> VcdWriter::find_signal(const std::string& full_name) const {
  for (std::size_t i = 0; i < info_.size(); ++i) {
    if (state_[i].enabled && info_[i].full_name() == full_name) return static_cast<SignalId>(i);
  }
  return std::nullopt;
}

std::vector<VcdSignalInfo> VcdWriter::declared_signals() const {
  std::vector<VcdSignalInfo> out;
  for (std::size_t i = 0; i < info_.size(); ++i) {
    if (state_[i].enabled) out.push_back(info_[i]);
  }
  return out;
}

void VcdWriter::write(std::ostream& stream) const {
  std::string out;
  out += "$date edgesim $end\n$version edgesim " EDGESIM_VERSION " $end\n$timescale 1ps $end\n";
  out += "$comment trace level " + std::string(trace_level_name(options_.level)) + "; rate " +
         "signals count per window of " + std::to_string(options_.rate_window_ps) + " ps $end\n";
  for (std::size_t i = 0; i < info_.size(); ++i) {
    if (!state_[i].enabled || info_[i].legend.empty()) continue;
    out += "$comment legend " + info_[i].full_name() + ":";
    for (std::size_t v = 0; v < info_[i].legend.size(); ++v) {
      out += ' ' + std::to_string(v) + '=' + info_[i].legend[v];
    }
    out += " $end\n";
  }
  // Group signals by scope, emitting nested $scope blocks in a stable, sorted order.
  std::map<std::string, std::vector<std::size_t>> by_scope;
  for (std::size_t i = 0; i < info_.size(); ++i) {
    if (state_[i].enabled) by_scope[info_[i].scope].push_back(i);
  }
  std::vector<std::string> open;
  for (const auto& [scope, members] : by_scope) {
    const auto parts = split_key_path(scope);
    std::size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common]) {
      ++common;
    }
    while (open.size() > common) {
      out += "$upscope $end\n";
      open.pop_back();
    }
    for (std::size_t i = common; i < parts.size(); ++i) {
      out += "$scope module " + parts[i] + " $end\n";
      open.push_back(parts[i]);
    }
    for (std::size_t index : members) {
      const VcdSignalInfo& s = info_[index];
      out += "$var wire " + std::to_string(s.width) + ' ' + s.code + ' ' + s.name;
      if (s.width > 1) out += " [" + std::to_string(s.width - 1) + ":0]";
      out += " $end\n";
    }
  }
  while (!open.empty()) {
    out += "$upscope $end\n";
    open.pop_back();
  }
  out += "$enddefinitions $end\n";

  // Rate windows become changes at each window's start (and back to 0 after the last).
  std::vector<Change> ordered = changes_;
  for (std::size_t i = 0; i < rate_buckets_.size(); ++i) {
    const auto& buckets = rate_buckets_[i];
    for (std::size_t b = 0; b < buckets.size(); ++b) {
      if (b > 0 && buckets[b] == buckets[b - 1]) continue;
      ordered.push_back({options_.window_start_ps + b * options_.rate_window_ps,
                         std::min<std::uint64_t>(buckets[b], state_[i].mask),
                         static_cast<SignalId>(i)});
    }
    if (!buckets.empty() && buckets.back() != 0) {
      ordered.push_back({options_.window_start_ps + buckets.size() * options_.rate_window_ps, 0,
                         static_cast<SignalId>(i)});
    }
  }
  // Order by time, then signal; within one (time, signal) the last recorded value wins.
  std::stable_sort(ordered.begin(), ordered.end(), [](const Change& a, const Change& b) {
    return a.time_ps != b.time_ps ? a.time_ps < b.time_ps : a.signal < b.signal;
  });
  std::vector<std::uint64_t> current(info_.size(), 0);
  for (std::size_t i = 0; i < info_.size(); ++i) {
    if (state_[i].has_before) current[i] = state_[i].before_value;
  }
  const std::uint64_t start = options_.window_start_ps;
  std::size_t next = 0;
  while (next < ordered.size() && ordered[next].time_ps <= start) {
    current[ordered[next].signal] = ordered[next].value;
    ++next;
  }
  out += '#' + std::to_string(start) + "\n$dumpvars\n";
  for (std::size_t i = 0; i < info_.size(); ++i) {
    if (state_[i].enabled) emit_value(out, info_[i].width, current[i], info_[i].code);
  }
  out += "$end\n";
  std::uint64_t current_time = start;
  for (; next < ordered.size(); ++next) {
    const Change& c = ordered[next];
    if (next + 1 < ordered.size() && ordered[next + 1].time_ps == c.time_ps &&
        ordered[next + 1].signal == c.signal) {
      continue;  // a later record at the same time replaces this one
    }
    if (current[c.signal] == c.value) continue;
    current[c.signal] = c.value;
    if (c.time_ps != current_time) {
      out += '#' + std::to_string(c.time_ps) + '\n';
      current_time = c.time_ps;
    }
    emit_value(out, info_[c.signal].width, c.value, info_[c.signal].code);
    if (out.size() > (1U << 20)) {
      stream << out;
      out.clear();
    }
  }
  const std::uint64_t end = std::min(end_ps_, options_.window_end_ps);
  if (end > current_time && end != std::numeric_limits<std::uint64_t>::max()) {
    out += '#' + std::to_string(end) + '\n';
  }
  stream << out;
}

std::string VcdWriter::to_string() const {
  std::ostringstream out;
  write(out);
  return out.str();
}

void VcdWriter::write_file(const std::string& file) const {
  std::ofstream out(file);
  if (!out) throw std::runtime_error("cannot write " + file);
  write(out);
  if (!out) throw std::runtime_error("error while writing " + file);
}

}  // namespace sim
