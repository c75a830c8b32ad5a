#pragma once
// Independent readers for the trace files, used by the trace tests: a strict VCD parser (the
// subset a simulator writes: scopes, wires, binary vectors, scalars) and a small JSON parser
// for timeline.json. Both throw std::runtime_error with the offending line or offset.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace trace_test {

/// One declared VCD variable and its value history (time, value), time-ordered.
struct VcdVar {
  std::string full_name;  // dotted scopes and name: "top.pe_array.busy"
  unsigned width = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> changes;
  /// Value at time t (0 before the first change).
  std::uint64_t at(std::uint64_t t) const {
    std::uint64_t v = 0;
    for (const auto& [time, value] : changes) {
      if (time > t) break;
      v = value;
    }
    return v;
  }
  /// Integral of value x time over [first change, end_ps).
  long double integral(std::uint64_t end_ps) const {
    long double sum = 0;
    for (std::size_t i = 0; i < changes.size(); ++i) {
      const std::uint64_t next = i + 1 < changes.size() ? changes[i + 1].first : end_ps;
      sum += static_cast<long double>(changes[i].second) *
             static_cast<long double>(next - changes[i].first);
    }
    return sum;
  }
  /// Time the value is non-zero before end_ps.
  std::uint64_t high_time(std::uint64_t end_ps) const {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < changes.size(); ++i) {
      const std::uint64_t next = i + 1 < changes.size() ? changes[i + 1].first : end_ps;
      if (changes[i].second != 0) sum += next - changes[i].first;
    }
    return sum;
  }
};

/// A parsed VCD file.
struct Vcd {
  std::string timescale;
  std::vector<std::string> scopes;     // every scope path opened
  std::map<std::string, VcdVar> vars;  // by full name
  std::uint64_t first_time = 0;
  std::uint64_t last_time = 0;
  std::size_t timestamps = 0;
  std::size_t value_changes = 0;
  const VcdVar& var(const std::string& name) const {
    const auto it = vars.find(name);
    if (it == vars.end()) throw std::runtime_error("no VCD variable " + name);
    return it->second;
  }
  bool has(const std::string& name) const { return vars.count(name) > 0; }
};

/// Parses VCD text; checks the header, balanced scopes, unique identifiers, timestamps strictly
/// increasing, values within their declared width and only for declared identifiers.
inline Vcd parse_vcd(const std::string& text) {
  Vcd vcd;
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> scope;
  std::map<std::string, std::string> code_to_name;
  bool definitions_done = false, have_time = false, in_dumpvars = false;
  std::size_t line_number = 0;
  auto fail = [&](const std::string& what) {
    throw std::runtime_error("VCD line " + std::to_string(line_number) + ": " + what + ": " + line);
  };
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    if (!definitions_done) {
      std::istringstream words(line);
      std::string keyword;
      words >> keyword;
      if (keyword == "$timescale") {
        words >> vcd.timescale;
      } else if (keyword == "$scope") {
        std::string kind, name, end;
        words >> kind >> name >> end;
        if (kind != "module" || end != "$end") fail("bad $scope");
        scope.push_back(name);
        std::string path;
        for (const auto& s : scope) path += (path.empty() ? "" : ".") + s;
        vcd.scopes.push_back(path);
      } else if (keyword == "$upscope") {
        if (scope.empty()) fail("$upscope without $scope");
        scope.pop_back();
      } else if (keyword == "$var") {
        std::string type, code, name;
        unsigned width = 0;
        words >> type >> width >> code >> name;
        if (type != "wire" || width < 1 || width > 64 || code.empty()) fail("bad $var");
        if (code_to_name.count(code)) fail("identifier declared twice");
        std::string full;
        for (const auto& s : scope) full += s + ".";
        full += name;
        if (vcd.vars.count(full)) fail("variable declared twice");
        code_to_name[code] = full;
        vcd.vars[full].full_name = full;
        vcd.vars[full].width = width;
      } else if (keyword == "$enddefinitions") {
        if (!scope.empty()) fail("unclosed $scope");
        definitions_done = true;
      } else if (keyword != "$date" && keyword != "$version" && keyword != "$comment") {
        fail("unknown header keyword");
      }
      continue;
    }
    if (line[0] == '#') {
      const std::uint64_t t = std::stoull(line.substr(1));
      if (have_time && t <= vcd.last_time) fail("time does not increase");
      if (!have_time) vcd.first_time = t;
      have_time = true;
      vcd.last_time = t;
      ++vcd.timestamps;
      continue;
    }
    if (line == "$dumpvars") {
      in_dumpvars = true;
      continue;
    }
    if (line == "$end") {
      if (!in_dumpvars) fail("$end outside $dumpvars");
      in_dumpvars = false;
      continue;
    }
    if (!have_time) fail("value before the first timestamp");
    std::string code;
    std::uint64_t value = 0;
    unsigned bits = 1;
    if (line[0] == 'b') {
      const auto space = line.find(' ');
      if (space == std::string::npos || space < 2) fail("bad vector value");
      const std::string digits = line.substr(1, space - 1);
      if (digits.find_first_not_of("01") != std::string::npos) fail("not a binary value");
      if (digits.size() > 64) fail("value wider than 64 bits");
      bits = static_cast<unsigned>(digits.size());
      value = std::stoull(digits, nullptr, 2);
      code = line.substr(space + 1);
    } else if (line[0] == '0' || line[0] == '1') {
      value = line[0] == '1';
      code = line.substr(1);
    } else {
      fail("unknown value line");
    }
    const auto it = code_to_name.find(code);
    if (it == code_to_name.end()) fail("undeclared identifier");
    VcdVar& var = vcd.vars[it->second];
    if (bits > var.width) fail("value wider than its variable");
    if (line[0] != 'b' && var.width != 1) fail("scalar value for a vector");
    var.changes.emplace_back(vcd.last_time, value);
    ++vcd.value_changes;
  }
  if (!definitions_done) throw std::runtime_error("VCD without $enddefinitions");
  return vcd;
}

/// A JSON value (numbers as long double).
struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = Kind::kNull;
  bool boolean = false;
  long double number = 0;
  std::string string;
  std::vector<Json> array;
  std::map<std::string, Json> object;
  const Json& operator[](const std::string& key) const {
    const auto it = object.find(key);
    if (it == object.end()) throw std::runtime_error("JSON: no key " + key);
    return it->second;
  }
  bool has(const std::string& key) const { return object.count(key) > 0; }
};

/// Strict JSON parser (RFC 8259 subset: no surrogate pairs in \u escapes).
class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : text_(text) {}
  Json parse() {
    Json value = parse_value();
    skip_space();
    if (pos_ != text_.size()) fail("trailing characters");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("JSON at offset " + std::to_string(pos_) + ": " + what);
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }
  char peek() {
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end");
    return text_[pos_];
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parse_string() {
    expect('"');
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) fail("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) fail("bad escape");
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          if (pos_ + 4 > text_.size()) fail("bad \\u escape");
          const unsigned code = std::stoul(text_.substr(pos_, 4), nullptr, 16);
          pos_ += 4;
          if (code < 0x80)
            out += static_cast<char>(code);
          else
            out += '?';
          break;
        }
        default:
          fail("bad escape");
      }
    }
  }
  Json parse_value() {
    Json v;
    const char c = peek();
    if (c == '{') {
      v.kind = Json::Kind::kObject;
      ++pos_;
      if (peek() == '}') {
        ++pos_;
        return v;
      }
      while (true) {
        const std::string key = parse_string();
        expect(':');
        if (v.object.count(key)) fail("duplicate key " + key);
        v.object[key] = parse_value();
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.kind = Json::Kind::kArray;
      ++pos_;
      if (peek() == ']') {
        ++pos_;
        return v;
      }
      while (true) {
        v.array.push_back(parse_value());
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.kind = Json::Kind::kString;
      v.string = parse_string();
      return v;
    }
    for (const char* word : {"true", "false", "null"}) {
      const std::string w = word;
      if (text_.compare(pos_, w.size(), w) == 0) {
        pos_ += w.size();
        v.kind = w == "null" ? Json::Kind::kNull : Json::Kind::kBool;
        v.boolean = w == "true";
        return v;
      }
    }
    const std::size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size() || !isdigit(static_cast<unsigned char>(text_[pos_])))
      fail("bad value");
    while (pos_ < text_.size() &&
           (isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
            text_[pos_] == 'e' || text_[pos_] == 'E' || text_[pos_] == '+' || text_[pos_] == '-')) {
      ++pos_;
    }
    v.kind = Json::Kind::kNumber;
    v.number = std::stold(text_.substr(start, pos_ - start));
    return v;
  }
  const std::string& text_;
  std::size_t pos_ = 0;
};

inline Json parse_json(const std::string& text) { return JsonParser(text).parse(); }

/// A complete ("X") slice of a timeline, in picoseconds (ts and dur are microseconds).
struct TimelineSlice {
  int tid;
  std::string name;
  std::uint64_t start_ps, end_ps;
};

/// The X slices of a trace-event document, and the track names by tid.
inline std::vector<TimelineSlice> timeline_slices(const Json& doc,
                                                  std::map<int, std::string>* tracks = nullptr) {
  std::vector<TimelineSlice> out;
  for (const Json& e : doc["traceEvents"].array) {
    const std::string ph = e["ph"].string;
    if (ph == "M" && tracks && e["name"].string == "thread_name") {
      (*tracks)[static_cast<int>(e["tid"].number)] = e["args"]["name"].string;
    }
    if (ph != "X") continue;
    const auto start = static_cast<std::uint64_t>(e["ts"].number * 1000000.0L + 0.5L);
    const auto dur = static_cast<std::uint64_t>(e["dur"].number * 1000000.0L + 0.5L);
    out.push_back({static_cast<int>(e["tid"].number), e["name"].string, start, start + dur});
  }
  return out;
}

/// "" when, on every track, any two slices are disjoint or one contains the other; else the
/// first offending pair.
inline std::string check_nesting(std::vector<TimelineSlice> slices) {
  std::stable_sort(slices.begin(), slices.end(), [](const auto& a, const auto& b) {
    if (a.tid != b.tid) return a.tid < b.tid;
    if (a.start_ps != b.start_ps) return a.start_ps < b.start_ps;
    return a.end_ps > b.end_ps;
  });
  std::vector<const TimelineSlice*> open;  // enclosing slices on the current track
  int tid = -1;
  for (const auto& s : slices) {
    if (s.tid != tid) {
      open.clear();
      tid = s.tid;
    }
    while (!open.empty() && open.back()->end_ps <= s.start_ps) open.pop_back();
    if (!open.empty() && s.end_ps > open.back()->end_ps) {
      return "track " + std::to_string(s.tid) + ": '" + s.name + "' [" +
             std::to_string(s.start_ps) + "," + std::to_string(s.end_ps) + ") overlaps '" +
             open.back()->name + "' [" + std::to_string(open.back()->start_ps) + "," +
             std::to_string(open.back()->end_ps) + ")";
    }
    open.push_back(&s);
  }
  return "";
}

}  // namespace trace_test
