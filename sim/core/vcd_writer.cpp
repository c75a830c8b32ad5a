#include "sim/core/vcd_writer.h"

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

std::string binary(std::uint64_t value, unsigned width) {
  std::string bits;
  for (int i = static_cast<int>(width) - 1; i >= 0; --i) bits += ((value >> i) & 1U) ? '1' : '0';
  const auto first_one = bits.find('1');
  return first_one == std::string::npos ? "0" : bits.substr(first_one);
}

void emit_value(std::ostream& out, unsigned width, std::uint64_t value, const std::string& code) {
  if (width == 1) {
    out << (value ? '1' : '0') << code << '\n';
  } else {
    out << 'b' << binary(value, width) << ' ' << code << '\n';
  }
}

}  // namespace

VcdWriter::SignalId VcdWriter::add_signal(const std::string& scope, const std::string& name,
                                          unsigned width_bits) {
  EDGESIM_CHECK(width_bits >= 1 && width_bits <= 64, "VCD signal width out of range: " + name);
  signals_.push_back({scope, name, width_bits, identifier_code(signals_.size()), 0, false});
  return static_cast<SignalId>(signals_.size() - 1);
}

void VcdWriter::change(SignalId signal, std::uint64_t time_ps, std::uint64_t value) {
  Signal& s = signals_[signal];
  if (s.width < 64) value &= (std::uint64_t{1} << s.width) - 1;
  if (s.has_value && s.last_value == value) return;
  s.last_value = value;
  s.has_value = true;
  changes_.push_back({time_ps, changes_.size(), signal, value});
}

std::string VcdWriter::to_string() const {
  std::ostringstream out;
  out << "$date edgesim $end\n$version edgesim " << EDGESIM_VERSION << " $end\n"
      << "$timescale 1ps $end\n";
  // Group signals by scope, emitting nested $scope blocks in a stable, sorted order.
  std::map<std::string, std::vector<std::size_t>> by_scope;
  for (std::size_t i = 0; i < signals_.size(); ++i) by_scope[signals_[i].scope].push_back(i);
  std::vector<std::string> open;
  for (const auto& [scope, members] : by_scope) {
    const auto parts = split_key_path(scope);
    std::size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common]) {
      ++common;
    }
    while (open.size() > common) {
      out << "$upscope $end\n";
      open.pop_back();
    }
    for (std::size_t i = common; i < parts.size(); ++i) {
      out << "$scope module " << parts[i] << " $end\n";
      open.push_back(parts[i]);
    }
    for (std::size_t index : members) {
      const Signal& s = signals_[index];
      out << "$var wire " << s.width << ' ' << s.code << ' ' << s.name;
      if (s.width > 1) out << " [" << s.width - 1 << ":0]";
      out << " $end\n";
    }
  }
  while (!open.empty()) {
    out << "$upscope $end\n";
    open.pop_back();
  }
  out << "$enddefinitions $end\n";

  std::vector<Change> ordered = changes_;
  std::stable_sort(ordered.begin(), ordered.end(), [](const Change& a, const Change& b) {
    return a.time_ps != b.time_ps ? a.time_ps < b.time_ps : a.sequence < b.sequence;
  });
  // Initial values: every signal starts at 0 unless it changes at time 0.
  out << "#0\n$dumpvars\n";
  std::vector<std::uint64_t> initial(signals_.size(), 0);
  std::size_t next = 0;
  while (next < ordered.size() && ordered[next].time_ps == 0) {
    initial[ordered[next].signal] = ordered[next].value;
    ++next;
  }
  for (std::size_t i = 0; i < signals_.size(); ++i) {
    emit_value(out, signals_[i].width, initial[i], signals_[i].code);
  }
  out << "$end\n";
  std::uint64_t current_time = 0;
  for (; next < ordered.size(); ++next) {
    const Change& c = ordered[next];
    if (c.time_ps != current_time) {
      out << '#' << c.time_ps << '\n';
      current_time = c.time_ps;
    }
    emit_value(out, signals_[c.signal].width, c.value, signals_[c.signal].code);
  }
  return out.str();
}

void VcdWriter::write_file(const std::string& file) const {
  std::ofstream out(file);
  if (!out) throw std::runtime_error("cannot write " + file);
  out << to_string();
  if (!out) throw std::runtime_error("error while writing " + file);
}

}  // namespace sim
