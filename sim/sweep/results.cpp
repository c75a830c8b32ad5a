#include "sim/sweep/results.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

#include "sim/core/config.h"

namespace fs = std::filesystem;

namespace sweep {

namespace {

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string number_text(double value) { return sim::format_double(value); }

std::string read_whole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// Buffered writer to `path.tmp`, renamed over `path` on commit.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path) : path_(path), out_(path + ".tmp") {
    if (!out_) throw sim::ConfigError(path + ".tmp: cannot write: " + std::strerror(errno));
  }
  std::ofstream& stream() { return out_; }
  void commit() {
    out_.close();
    if (!out_) throw sim::ConfigError(path_ + ".tmp: write failed");
    fs::rename(path_ + ".tmp", path_);
  }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace

const JsonValue* Row::figure(const std::string& name) const {
  for (const auto& [key, value] : figures) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::string row_to_json(const Row& row) {
  std::string out =
      "{\"point\":" + std::to_string(row.point) + ",\"status\":" + json_quote(row.status) +
      ",\"reason\":" + json_quote(row.reason) + ",\"config_hash\":" + json_quote(row.config_hash) +
      ",\"wall_seconds\":" + number_text(row.wall_seconds) + ",\"params\":{";
  for (std::size_t i = 0; i < row.params.size(); ++i) {
    out += (i ? "," : "") + json_quote(row.params[i].first) + ":" +
           to_json(scalar_from_text(row.params[i].second));
  }
  out += "},\"figures\":{";
  for (std::size_t i = 0; i < row.figures.size(); ++i) {
    out += (i ? "," : "") + json_quote(row.figures[i].first) + ":" + to_json(row.figures[i].second);
  }
  return out + "}}";
}

Row row_from_json(const std::string& line) {
  const JsonValue value = parse_json(line);
  Row row;
  const auto text_of = [&](const char* key) {
    const JsonValue* member = value.find(key);
    if (!member) throw std::runtime_error(std::string("row without '") + key + "'");
    return member->text;
  };
  row.point = std::stoull(text_of("point"));
  row.status = text_of("status");
  row.reason = text_of("reason");
  row.config_hash = text_of("config_hash");
  parse_number(text_of("wall_seconds"), row.wall_seconds);
  if (const JsonValue* params = value.find("params")) {
    for (const auto& [key, v] : params->members) row.params.emplace_back(key, scalar_text(v));
  }
  if (const JsonValue* figures = value.find("figures")) row.figures = figures->members;
  return row;
}

void fill_from_summary(Row& row, const std::string& summary_json) {
  const JsonValue summary = parse_json(summary_json);
  std::vector<std::pair<std::string, JsonValue>> flat;
  flatten_json(summary, "", flat);
  row.figures.clear();
  row.status = "ok";
  for (auto& [key, value] : flat) {
    if (key == "reason") {
      row.reason = value.text;
      continue;
    }
    if (key == "feasible" && value.text == "false") row.status = "infeasible";
    row.figures.emplace_back(std::move(key), std::move(value));
  }
}

void write_meta(const std::string& path, const SweepMeta& meta) {
  std::string out = "{\n  \"sweep_id\": " + json_quote(meta.sweep_id) +
                    ",\n  \"sweep_file\": " + json_quote(meta.sweep_file) +
                    ",\n  \"space_size\": " + std::to_string(meta.space_size) +
                    ",\n  \"shard\": " + json_quote(meta.shard.text()) +
                    ",\n  \"points\": " + std::to_string(meta.points) +
                    ",\n  \"complete\": " + (meta.complete ? "true" : "false") + ",\n  \"axes\": [";
  for (std::size_t i = 0; i < meta.axis_keys.size(); ++i) {
    out += std::string(i ? ", " : "") + "{\"key\": " + json_quote(meta.axis_keys[i]) +
           ", \"log\": " + (meta.axis_log[i] ? "true" : "false") + "}";
  }
  out += "],\n  \"objectives\": [";
  for (std::size_t i = 0; i < meta.objectives.size(); ++i) {
    out += std::string(i ? ", " : "") + "{\"figure\": " + json_quote(meta.objectives[i].figure) +
           ", \"sense\": \"" + (meta.objectives[i].minimize ? "minimize" : "maximize") + "\"}";
  }
  out += "]\n}\n";
  write_file_atomic(path, out);
}

SweepMeta read_meta(const std::string& path) {
  if (!fs::exists(path)) {
    throw sim::ConfigError(path + ": missing: not a sweep results directory (no sweep.json)");
  }
  SweepMeta meta;
  try {
    const JsonValue v = parse_json(read_whole(path));
    const auto text = [&](const char* key) {
      const JsonValue* m = v.find(key);
      if (!m) throw std::runtime_error(std::string("no '") + key + "'");
      return m->text;
    };
    meta.sweep_id = text("sweep_id");
    meta.sweep_file = text("sweep_file");
    meta.space_size = std::stoull(text("space_size"));
    meta.shard = parse_shard(text("shard"));
    meta.points = std::stoull(text("points"));
    meta.complete = text("complete") == "true";
    for (const auto& axis : v.find("axes")->items) {
      meta.axis_keys.push_back(axis.find("key")->text);
      meta.axis_log.push_back(axis.find("log")->text == "true");
    }
    for (const auto& o : v.find("objectives")->items) {
      Objective objective;
      objective.figure = o.find("figure")->text;
      objective.minimize = o.find("sense")->text == "minimize";
      meta.objectives.push_back(objective);
    }
  } catch (const sim::ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    throw sim::ConfigError(path + ": malformed sweep.json: " + e.what());
  }
  return meta;
}

Journal::Journal(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw sim::ConfigError(path + ": cannot open for appending: " + std::strerror(errno));
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t Journal::append(const Row& row) {
  const std::string line = row_to_json(row) + "\n";
  const off_t offset = ::lseek(fd_, 0, SEEK_END);
  // One write per line: a killed sweep leaves whole lines (at most a torn last one).
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw sim::ConfigError(path_ + ": write failed: " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return static_cast<std::uint64_t>(offset);
}

void scan_journal(const std::string& path,
                  const std::function<void(std::uint64_t offset, Row&& row)>& visit) {
  std::ifstream in(path);
  std::string line;
  std::uint64_t offset = 0;
  while (std::getline(in, line)) {
    const std::uint64_t start = offset;
    offset += line.size() + 1;
    if (in.eof()) break;  // no newline: torn by a kill, the point reruns
    if (line.empty()) continue;
    Row row;
    try {
      row = row_from_json(line);
    } catch (const std::exception&) {
      continue;  // a torn or foreign line: ignored, its point reruns
    }
    visit(start, std::move(row));
  }
}

std::vector<Row> read_journal(const std::string& path) {
  std::vector<Row> rows;
  scan_journal(path, [&](std::uint64_t, Row&& row) { rows.push_back(std::move(row)); });
  return rows;
}

Row read_row_at(std::istream& in, std::uint64_t offset) {
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  std::string line;
  if (!std::getline(in, line)) {
    throw sim::InternalError("results.jsonl: no row at offset " + std::to_string(offset));
  }
  return row_from_json(line);
}

bool objective_values(const Row& row, const std::vector<Objective>& objectives,
                      std::vector<double>& out) {
  out.clear();
  if (row.status != "ok" || objectives.empty()) return false;
  for (const auto& objective : objectives) {
    const JsonValue* value = row.figure(objective.figure);
    double number = 0;
    if (!value || !value->is_number() || !parse_number(value->text, number)) return false;
    out.push_back(number);
  }
  return true;
}

bool dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<Objective>& objectives) {
  bool better = false;
  for (std::size_t i = 0; i < objectives.size(); ++i) {
    const double x = objectives[i].minimize ? a[i] : -a[i];
    const double y = objectives[i].minimize ? b[i] : -b[i];
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

void write_file_atomic(const std::string& path, const std::string& text) {
  AtomicFile file(path);
  file.stream() << text;
  file.commit();
}

std::uint64_t write_results(const std::string& dir, const SweepMeta& meta, const RowSource& rows,
                            bool with_jsonl) {
  // Pass 1: the columns. Fixed ones, the swept keys, the objectives, then every other figure
  // in order of first appearance (point order, so shards merge to the same header).
  std::vector<std::string> columns = {"point", "status", "reason", "config_hash", "wall_seconds"};
  for (const auto& key : meta.axis_keys) columns.push_back(key);
  std::set<std::string> taken(columns.begin(), columns.end());
  for (const auto& objective : meta.objectives) {
    if (taken.insert(objective.figure).second) columns.push_back(objective.figure);
  }
  rows([&](const Row& row) {
    for (const auto& [name, value] : row.figures) {
      if (taken.insert(name).second) columns.push_back(name);
    }
  });
  std::map<std::string, std::size_t> column_of;
  for (std::size_t i = 0; i < columns.size(); ++i) column_of[columns[i]] = i;

  const auto csv_line = [&](const Row& row) {
    std::vector<std::string> cells(columns.size());
    cells[0] = std::to_string(row.point);
    cells[1] = row.status;
    cells[2] = row.reason;
    cells[3] = row.config_hash;
    cells[4] = number_text(row.wall_seconds);
    for (const auto& [key, value] : row.params) {
      const auto it = column_of.find(key);
      if (it != column_of.end()) cells[it->second] = value;
    }
    for (const auto& [name, value] : row.figures) {
      const auto it = column_of.find(name);
      if (it != column_of.end() && it->second >= 5) cells[it->second] = scalar_text(value);
    }
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) line += (i ? "," : "") + csv_cell(cells[i]);
    return line + "\n";
  };
  std::string header;
  for (std::size_t i = 0; i < columns.size(); ++i) header += (i ? "," : "") + csv_cell(columns[i]);
  header += "\n";

  // Pass 2: the files, and the Pareto front kept incrementally (only its points in memory).
  std::unique_ptr<AtomicFile> jsonl;
  if (with_jsonl) jsonl = std::make_unique<AtomicFile>(dir + "/results.jsonl");
  AtomicFile csv(dir + "/results.csv");
  csv.stream() << header;
  struct FrontPoint {
    std::vector<double> values;
    Row row;
  };
  std::vector<FrontPoint> front;
  std::vector<double> values;
  std::uint64_t last_point = 0;
  bool first = true;
  rows([&](const Row& row) {
    if (!first && row.point <= last_point) {
      throw sim::InternalError("results out of point order at point " + std::to_string(row.point));
    }
    first = false;
    last_point = row.point;
    if (jsonl) jsonl->stream() << row_to_json(row) << "\n";
    csv.stream() << csv_line(row);
    if (!objective_values(row, meta.objectives, values)) return;
    for (const auto& f : front) {
      if (dominates(f.values, values, meta.objectives)) return;
    }
    front.erase(std::remove_if(front.begin(), front.end(),
                               [&](const FrontPoint& f) {
                                 return dominates(values, f.values, meta.objectives);
                               }),
                front.end());
    front.push_back({values, row});
  });
  if (jsonl) jsonl->commit();
  csv.commit();
  std::sort(front.begin(), front.end(),
            [](const FrontPoint& a, const FrontPoint& b) { return a.row.point < b.row.point; });
  AtomicFile pareto(dir + "/pareto.csv");
  pareto.stream() << header;
  for (const auto& f : front) pareto.stream() << csv_line(f.row);
  pareto.commit();
  return front.size();
}

std::uint64_t merge_results(const std::vector<std::string>& dirs, const std::string& out_dir) {
  if (dirs.empty()) throw sim::ConfigError("edgesim sweep merge: expected result directories");
  std::vector<SweepMeta> metas;
  for (const auto& dir : dirs) metas.push_back(read_meta(dir + "/sweep.json"));
  const SweepMeta& first = metas.front();
  std::set<std::uint64_t> shards_seen;
  std::uint64_t points = 0;
  for (std::size_t i = 0; i < metas.size(); ++i) {
    const SweepMeta& m = metas[i];
    if (m.sweep_id != first.sweep_id) {
      throw sim::ConfigError(dirs[i] + ": from a different sweep (sweep_id " + m.sweep_id +
                             ") than " + dirs[0] + " (" + first.sweep_id + ")");
    }
    if (m.shard.count != first.shard.count) {
      throw sim::ConfigError(dirs[i] + ": shard " + m.shard.text() + " does not match " + dirs[0] +
                             "'s shard count " + std::to_string(first.shard.count));
    }
    if (!shards_seen.insert(m.shard.index).second) {
      throw sim::ConfigError(dirs[i] + ": shard " + m.shard.text() + " is given twice");
    }
    if (!m.complete) {
      throw sim::ConfigError(dirs[i] + ": shard " + m.shard.text() +
                             " is incomplete; finish it with edgesim sweep FILE --shard " +
                             m.shard.text() + " --resume --out " + dirs[i]);
    }
    points += m.points;
  }
  if (shards_seen.size() != first.shard.count) {
    std::string missing;
    for (std::uint64_t s = 0; s < first.shard.count; ++s) {
      if (!shards_seen.count(s)) {
        missing += (missing.empty() ? "" : ", ") + std::to_string(s) + "/" +
                   std::to_string(first.shard.count);
      }
    }
    throw sim::ConfigError("edgesim sweep merge: shards missing: " + missing);
  }

  // k-way merge of the shards' results.jsonl, each already in point order.
  const RowSource source = [&](const std::function<void(const Row&)>& sink) {
    struct Cursor {
      std::unique_ptr<std::ifstream> in;
      Row row;
      bool live = false;
      std::string name;
    };
    std::vector<Cursor> cursors(dirs.size());
    const auto advance = [](Cursor& c) {
      std::string line;
      c.live = false;
      while (std::getline(*c.in, line)) {
        if (line.empty()) continue;
        try {
          c.row = row_from_json(line);
        } catch (const std::exception& e) {
          throw sim::ConfigError(c.name + ": malformed row: " + e.what());
        }
        c.live = true;
        return;
      }
    };
    for (std::size_t i = 0; i < dirs.size(); ++i) {
      cursors[i].name = dirs[i] + "/results.jsonl";
      cursors[i].in = std::make_unique<std::ifstream>(cursors[i].name);
      if (!*cursors[i].in) throw sim::ConfigError(cursors[i].name + ": cannot open");
      advance(cursors[i]);
    }
    while (true) {
      Cursor* next = nullptr;
      for (auto& c : cursors) {
        if (c.live && (!next || c.row.point < next->row.point)) next = &c;
      }
      if (!next) break;
      sink(next->row);
      advance(*next);
    }
  };
  fs::create_directories(out_dir);
  SweepMeta merged = first;
  merged.shard = Shard{};
  merged.points = points;
  merged.complete = true;
  write_results(out_dir, merged, source);
  write_meta(out_dir + "/sweep.json", merged);
  return points;
}

}  // namespace sweep
