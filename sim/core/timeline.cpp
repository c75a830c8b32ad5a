#include "sim/core/timeline.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sim/core/config.h"

namespace sim {

namespace {

/// Appends `text` as a JSON string literal.
void append_json_string(std::string& out, const std::string& text) {
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string json_string(const std::string& text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

}  // namespace

Timeline::Timeline(std::uint64_t window_start_ps, std::uint64_t window_end_ps)
    : window_start_ps_(window_start_ps), window_end_ps_(window_end_ps) {
  EDGESIM_CHECK(window_start_ps <= window_end_ps, "timeline window is empty");
}

Timeline::TrackId Timeline::track(const std::string& name) {
  const auto found = track_index_.find(name);
  if (found != track_index_.end()) return found->second;
  const auto id = static_cast<TrackId>(tracks_.size());
  tracks_.push_back(name);
  track_index_.emplace(name, id);
  return id;
}

void Timeline::slice(TrackId track, std::string name, std::uint64_t start_ps, std::uint64_t end_ps,
                     std::initializer_list<Arg> args) {
  EDGESIM_CHECK(track < tracks_.size(), "timeline track out of range");
  EDGESIM_CHECK(args.size() <= 4, "a timeline slice takes at most four arguments");
  if (end_ps < start_ps) end_ps = start_ps;
  if (end_ps < window_start_ps_ || start_ps > window_end_ps_) return;
  Slice s{track,
          std::max(start_ps, window_start_ps_),
          std::min(end_ps, window_end_ps_),
          std::move(name),
          {},
          static_cast<std::uint8_t>(args.size())};
  std::copy(args.begin(), args.end(), s.args);
  slices_.push_back(std::move(s));
}

void Timeline::write(std::ostream& stream) const {
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  out +=
      "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"tid\":0,"
      "\"args\":{\"name\":\"edgesim\"}}";
  for (std::size_t t = 0; t < tracks_.size(); ++t) {
    const std::string tid = std::to_string(t + 1);
    out += ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":" + tid +
           ",\"args\":{\"name\":" + json_string(tracks_[t]) + "}}";
    out += ",\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":1,\"tid\":" + tid +
           ",\"args\":{\"sort_index\":" + tid + "}}";
  }
  // By track, then start; an enclosing slice (longer) before the slices it contains.
  std::vector<const Slice*> ordered;
  ordered.reserve(slices_.size());
  for (const Slice& s : slices_) ordered.push_back(&s);
  std::stable_sort(ordered.begin(), ordered.end(), [](const Slice* a, const Slice* b) {
    if (a->track != b->track) return a->track < b->track;
    if (a->start_ps != b->start_ps) return a->start_ps < b->start_ps;
    return a->end_ps > b->end_ps;
  });
  char digits[24];
  auto append_uint = [&](std::uint64_t value) {
    const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
    out.append(digits, end);
  };
  auto append_microseconds = [&](std::uint64_t ps) {
    append_uint(ps / 1000000);
    out += '.';
    std::uint64_t fraction = ps % 1000000;
    for (int i = 5; i >= 0; --i) {
      digits[i] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    out.append(digits, 6);
  };
  for (const Slice* s : ordered) {
    out += ",\n{\"ph\":\"X\",\"pid\":1,\"tid\":";
    append_uint(s->track + 1);
    out += ",\"name\":";
    append_json_string(out, s->name);
    out += ",\"ts\":";
    append_microseconds(s->start_ps);
    out += ",\"dur\":";
    append_microseconds(s->end_ps - s->start_ps);
    if (s->arg_count > 0) {
      out += ",\"args\":{";
      for (std::uint8_t a = 0; a < s->arg_count; ++a) {
        if (a > 0) out += ',';
        append_json_string(out, s->args[a].key);
        out += ':';
        append_uint(s->args[a].value);
      }
      out += '}';
    }
    out += '}';
    if (out.size() > (1U << 20)) {
      stream << out;
      out.clear();
    }
  }
  out += "\n]}\n";
  stream << out;
}

std::string Timeline::to_string() const {
  std::ostringstream out;
  write(out);
  return out.str();
}

void Timeline::write_file(const std::string& file) const {
  std::ofstream out(file);
  if (!out) throw std::runtime_error("cannot write " + file);
  write(out);
  if (!out) throw std::runtime_error("error while writing " + file);
}

}  // namespace sim
