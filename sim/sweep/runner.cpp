#include "sim/sweep/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <unordered_map>

#include "sim/sweep/results.h"

extern char** environ;

namespace fs = std::filesystem;

namespace sweep {

namespace {

using Clock = std::chrono::steady_clock;

// Signal handlers can only reach globals: the flag and the self-pipe that wakes the loop.
volatile sig_atomic_t g_interrupted = 0;
int g_wake_write_fd = -1;

void on_interrupt(int) {
  g_interrupted = 1;
  if (g_wake_write_fd >= 0) (void)!::write(g_wake_write_fd, "i", 1);
}

void on_child(int) {
  const int saved = errno;
  if (g_wake_write_fd >= 0) (void)!::write(g_wake_write_fd, "c", 1);
  errno = saved;
}

/// Installs the handlers for the lifetime of a sweep and restores the previous ones.
class SignalScope {
 public:
  SignalScope() {
    if (::pipe2(pipe_, O_NONBLOCK | O_CLOEXEC) != 0) {
      throw sim::InternalError(std::string("pipe2 failed: ") + std::strerror(errno));
    }
    g_interrupted = 0;
    g_wake_write_fd = pipe_[1];
    install(SIGINT, on_interrupt, &old_int_);
    install(SIGTERM, on_interrupt, &old_term_);
    install(SIGCHLD, on_child, &old_chld_);
  }
  ~SignalScope() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGCHLD, &old_chld_, nullptr);
    g_wake_write_fd = -1;
    ::close(pipe_[0]);
    ::close(pipe_[1]);
  }
  int wake_fd() const { return pipe_[0]; }
  void drain() const {
    char buffer[256];
    while (::read(pipe_[0], buffer, sizeof(buffer)) > 0) {
    }
  }

 private:
  static void install(int signal, void (*handler)(int), struct sigaction* old) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(signal, &action, old);
  }
  int pipe_[2] = {-1, -1};
  struct sigaction old_int_ {
  }, old_term_{}, old_chld_{};
};

std::string read_whole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// The last non-empty line of a log, without the "error: " prefix the CLI adds.
std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  if (last.rfind("error: ", 0) == 0) last = last.substr(7);
  return last;
}

std::string point_name(std::uint64_t index) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "p%06llu", static_cast<unsigned long long>(index));
  return buffer;
}

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const long long s = std::llround(seconds);
  char buffer[32];
  if (s >= 3600) {
    std::snprintf(buffer, sizeof(buffer), "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%lld:%02lld", s / 60, s % 60);
  }
  return buffer;
}

/// One point being simulated.
struct Running {
  pid_t pid = -1;
  Row row;
  Point point;
  std::string dir;
  std::string log;
  std::vector<std::string> sets;
  Clock::time_point start;
  bool timed_out = false;
};

/// The hash of a point whose config did not resolve: its override list.
std::string error_hash(const std::vector<std::string>& sets) {
  std::string joined = "error\n";
  for (const auto& s : sets) joined += s + "\n";
  return hash_text(joined);
}

pid_t spawn_point(const std::string& exe, const SweepSpec& spec,
                  const std::vector<std::string>& sets, const std::string& dir,
                  const std::string& log) {
  std::vector<std::string> args = {exe,          "run",         "--platform", spec.platform,
                                   "--workload", spec.workload, "--scheme",   spec.scheme};
  for (const auto& s : sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  args.insert(args.end(), {"--out", dir, "-q"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group: a terminal's Ctrl-C reaches the runner only, which stops the points
  // itself; default signal dispositions and an empty mask for the child.
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGCHLD);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, exe.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    throw sim::ConfigError("cannot start " + exe + ": " + std::strerror(rc));
  }
  return pid;
}

/// Fills the row of a point whose process ended with `status`.
void finish_row(Running& r, int status, double timeout_seconds) {
  const std::string log_text = read_whole(r.log);
  r.row.wall_seconds = std::chrono::duration<double>(Clock::now() - r.start).count();
  if (r.timed_out) {
    r.row.status = "timeout";
    char buffer[96];
    std::snprintf(buffer, sizeof(buffer), "exceeded --timeout-per-point %g s", timeout_seconds);
    r.row.reason = buffer;
  } else if (WIFSIGNALED(status)) {
    r.row.status = "crashed";
    r.row.reason = std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
                   strsignal(WTERMSIG(status)) + ")";
  } else if (WEXITSTATUS(status) == 0) {
    const std::string summary = r.dir + "/summary.json";
    try {
      if (!fs::exists(summary)) throw std::runtime_error("exited 0 without " + summary);
      fill_from_summary(r.row, read_whole(summary));
    } catch (const std::exception& e) {
      r.row.status = "crashed";
      r.row.reason = e.what();
    }
  } else {
    r.row.status = WEXITSTATUS(status) == 2 ? "error" : "crashed";
    r.row.reason = last_line(log_text);
    if (r.row.reason.empty()) r.row.reason = "exit code " + std::to_string(WEXITSTATUS(status));
  }
  // The resolved-config hash, from the config the point ran with (the same text the runner
  // computes in-process on --resume).
  const std::string resolved = r.dir + "/config.resolved.yaml";
  if ((r.row.status == "ok" || r.row.status == "infeasible") && fs::exists(resolved)) {
    r.row.config_hash = hash_text(read_whole(resolved));
  } else {
    r.row.config_hash = error_hash(r.sets);
  }
  std::error_code ec;
  if (log_text.empty()) fs::remove(r.log, ec);
  fs::remove_all(r.dir + ".incomplete", ec);
}

bool is_final(const std::string& status) {
  // Points whose outcome does not change on a rerun; crashes and timeouts run again.
  return status == "ok" || status == "infeasible" || status == "error";
}

}  // namespace

SweepOutcome run_sweep(const SweepSpec& spec, const RunSettings& settings, const Resolver& resolve,
                       std::ostream& log) {
  const auto sweep_start = Clock::now();
  SweepOutcome outcome;
  const std::string base_yaml = validate_spec(spec, resolve);
  const PointSpace space(spec, base_yaml);

  const fs::path out(settings.out_dir);
  const std::string meta_path = (out / "sweep.json").string();
  const std::string journal_path = (out / "results.jsonl").string();
  if (fs::exists(out) && !fs::is_directory(out)) {
    throw sim::ConfigError("--out: " + settings.out_dir + ": exists and is not a directory");
  }
  if (!settings.resume && fs::exists(out) && !fs::is_empty(out)) {
    throw sim::ConfigError("--out: " + settings.out_dir +
                           ": already exists and is not empty (continue it with --resume, or "
                           "choose another --out)");
  }
  fs::create_directories(out / "points");
  fs::create_directories(out / "logs");

  SweepMeta meta;
  meta.sweep_id = spec.sweep_id();
  meta.sweep_file = fs::path(spec.file).filename().string();
  meta.space_size = space.size();
  meta.shard = settings.shard;
  for (const auto& axis : spec.axes) {
    meta.axis_keys.push_back(axis.key);
    meta.axis_log.push_back(axis.logarithmic());
  }
  meta.objectives = spec.objectives;
  if (settings.resume && fs::exists(meta_path)) {
    const SweepMeta old = read_meta(meta_path);
    if (old.sweep_id != meta.sweep_id) {
      log << "note: " << settings.out_dir << " holds results of a different version of the "
          << "sweep; points with the same resolved config are reused\n";
    }
  }
  meta.points = space.for_each(settings.shard, [](const Point&) { return true; });
  std::uint64_t shard_indices = 0;
  if (space.size() > settings.shard.index) {
    shard_indices =
        (space.size() - settings.shard.index + settings.shard.count - 1) / settings.shard.count;
  }
  outcome.points = meta.points;
  outcome.skipped_by_constraints = shard_indices - meta.points;
  write_meta(meta_path, meta);

  // Rows recorded so far, by resolved-config hash (the latest row of a hash wins). Only
  // where each row sits in results.jsonl is kept, so big shards cost little memory.
  struct Recorded {
    std::uint64_t offset = 0;
    std::uint64_t point = 0;
    bool final = false;
  };
  std::unordered_map<std::string, Recorded> rows;
  if (settings.resume) {
    scan_journal(journal_path, [&](std::uint64_t offset, Row&& row) {
      rows[row.config_hash] = {offset, row.point, is_final(row.status)};
    });
  }
  Journal journal(journal_path);
  std::vector<std::pair<std::uint64_t, std::string>> order;  // (point, hash) done in this run

  SignalScope signals;
  std::vector<Running> running;
  std::uint64_t cursor = settings.shard.index;
  std::uint64_t done = 0;
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  auto last_progress = Clock::now();
  bool progress_shown = false;

  // Objectives over config keys or derived quantities are computed here, per point.
  std::vector<std::string> config_objectives;
  for (const auto& objective : spec.objectives) {
    if (!is_summary_figure(objective.figure)) config_objectives.push_back(objective.figure);
  }
  const auto add_config_figures = [&](Row& row, const Point& point) {
    const ValueLookup lookup = space.lookup_for(point);
    for (const auto& name : config_objectives) {
      try {
        const auto value = lookup(name);
        if (value) row.figures.emplace_back(name, scalar_from_text(*value));
      } catch (const std::invalid_argument&) {
        // not computable for this point: the objective stays empty
      }
    }
  };

  const auto record = [&](Row row) {
    if (row.status == "infeasible") ++outcome.infeasible;
    if (row.status == "error" || row.status == "crashed" || row.status == "timeout") {
      ++outcome.failed;
    }
    rows[row.config_hash] = {journal.append(row), row.point, is_final(row.status)};
    order.emplace_back(row.point, row.config_hash);
    ++done;
  };
  const auto show_progress = [&](bool final_line) {
    if (!settings.progress) return;
    const auto now = Clock::now();
    const double since = std::chrono::duration<double>(now - last_progress).count();
    if (!final_line && since < (tty ? 0.2 : 5.0)) return;
    last_progress = now;
    const double elapsed = std::chrono::duration<double>(now - sweep_start).count();
    const std::uint64_t fresh = done - outcome.reused;
    const double rate = elapsed > 0 ? static_cast<double>(fresh) / elapsed : 0;
    const double eta = rate > 0 ? static_cast<double>(meta.points - done) / rate : NAN;
    char text[256];
    const double fraction = meta.points ? static_cast<double>(done) / meta.points : 1.0;
    std::string bar;
    if (tty) {
      const int width = 24;
      const int filled = static_cast<int>(fraction * width);
      bar = "[" + std::string(filled, '=') + std::string(width - filled, ' ') + "] ";
    }
    std::snprintf(text, sizeof(text), "%s%llu/%llu points, %llu failed, %.1f points/s, ETA %s",
                  bar.c_str(), static_cast<unsigned long long>(done),
                  static_cast<unsigned long long>(meta.points),
                  static_cast<unsigned long long>(outcome.failed), rate,
                  final_line ? "0:00" : duration_text(eta).c_str());
    if (tty) {
      std::cerr << "\r" << text << "\033[K" << (final_line ? "\n" : "") << std::flush;
    } else {
      std::cerr << "sweep: " << text << "\n" << std::flush;
    }
    progress_shown = true;
  };

  const auto next_point = [&](Point& point) {
    while (cursor < space.size()) {
      point = space.point(cursor);
      cursor += settings.shard.count;
      if (space.admitted(point)) return true;
    }
    return false;
  };

  const auto reap = [&](bool block) {
    for (auto it = running.begin(); it != running.end();) {
      int status = 0;
      const pid_t pid = ::waitpid(it->pid, &status, block ? 0 : WNOHANG);
      if (pid == 0) {
        ++it;
        continue;
      }
      if (pid < 0 && errno == EINTR) continue;
      if (pid < 0) {
        // The process is gone without a status (should not happen): a crash, not a result.
        status = SIGKILL;  // reads as "killed by signal 9"
      }
      if (g_interrupted && !it->timed_out) {
        // Stopped by Ctrl-C: not a result; the point reruns on --resume.
        std::error_code ec;
        fs::remove_all(it->dir, ec);
        fs::remove_all(it->dir + ".incomplete", ec);
        fs::remove(it->log, ec);
      } else {
        finish_row(*it, status, settings.timeout_per_point_seconds);
        add_config_figures(it->row, it->point);
        outcome.point_seconds += it->row.wall_seconds;
        ++outcome.ran;
        if (!settings.keep_runs) {
          std::error_code ec;
          fs::remove_all(it->dir, ec);
        }
        record(std::move(it->row));
      }
      it = running.erase(it);
    }
  };

  // Writes the results in point order. Complete: exactly this shard's points. Partial (while
  // running, or interrupted): every row recorded so far, so nothing finished is lost and
  // --resume continues from there. Returns the rows written.
  std::uint64_t pareto_count = 0;
  const auto write_current = [&](bool partial, bool with_jsonl) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ordered;  // (point, journal offset)
    std::set<std::uint64_t> taken;
    std::set<std::string> current;
    for (const auto& [index, hash] : order) {
      current.insert(hash);
      const auto it = rows.find(hash);
      if (it != rows.end() && taken.insert(index).second) {
        ordered.emplace_back(index, it->second.offset);
      }
    }
    if (partial) {
      for (const auto& [hash, recorded] : rows) {
        if (!current.count(hash) && taken.insert(recorded.point).second) {
          ordered.emplace_back(recorded.point, recorded.offset);
        }
      }
    }
    std::sort(ordered.begin(), ordered.end());
    const RowSource source = [&](const std::function<void(const Row&)>& sink) {
      std::ifstream in(journal_path);
      for (const auto& [index, offset] : ordered) {
        Row row = read_row_at(in, offset);
        row.point = index;
        sink(row);
      }
    };
    pareto_count = write_results(out.string(), meta, source, with_jsonl);
    return static_cast<std::uint64_t>(ordered.size());
  };
  // results.csv and pareto.csv are also refreshed while the sweep runs, at most every 10 s
  // and at most 5% of the time (results.jsonl is the record of every finished point).
  auto last_snapshot = Clock::now();
  double snapshot_interval = 10.0;
  std::uint64_t snapshot_done = 0;

  Point point;
  bool more = true;
  while (true) {
    while (!g_interrupted && more && running.size() < std::max(1u, settings.jobs)) {
      more = next_point(point);
      if (!more) break;
      const std::vector<std::string> sets = space.overrides(point);
      Row row;
      row.point = point.index;
      for (std::size_t a = 0; a < spec.axes.size(); ++a) {
        row.params.emplace_back(spec.axes[a].key, point.values[a]);
      }
      if (settings.resume) {
        // Resuming: resolve the point in-process to find it among the recorded rows.
        std::string config_error;
        try {
          row.config_hash = hash_text(resolve(sets));
        } catch (const sim::ConfigError& e) {
          row.config_hash = error_hash(sets);
          config_error = e.what();
        }
        const auto known = rows.find(row.config_hash);
        if (known != rows.end() && known->second.final) {
          order.emplace_back(point.index, row.config_hash);
          ++outcome.reused;
          ++done;
          continue;
        }
        if (!config_error.empty()) {
          // The point's own config is wrong (a combination of axis values): a row, no run.
          row.status = "error";
          row.reason = config_error;
          add_config_figures(row, point);
          record(std::move(row));
          continue;
        }
      }
      Running r;
      r.row = std::move(row);
      r.point = point;
      r.sets = sets;
      r.dir = (out / "points" / point_name(point.index)).string();
      r.log = (out / "logs" / (point_name(point.index) + ".stderr")).string();
      std::error_code ec;
      fs::remove_all(r.dir, ec);
      fs::remove_all(r.dir + ".incomplete", ec);
      r.start = Clock::now();
      r.pid = spawn_point(settings.edgesim_exe, spec, sets, r.dir, r.log);
      running.push_back(std::move(r));
    }
    if (g_interrupted) {
      for (const auto& r : running) ::kill(-r.pid, SIGTERM);
      reap(true);
      break;
    }
    if (running.empty() && !more) break;

    int wait_ms = tty ? 200 : 1000;
    if (settings.timeout_per_point_seconds > 0) {
      const auto now = Clock::now();
      for (const auto& r : running) {
        const double left = settings.timeout_per_point_seconds -
                            std::chrono::duration<double>(now - r.start).count();
        wait_ms = std::min(wait_ms, std::max(0, static_cast<int>(std::ceil(left * 1000))));
      }
    }
    pollfd fd{signals.wake_fd(), POLLIN, 0};
    ::poll(&fd, 1, wait_ms);
    signals.drain();
    if (settings.timeout_per_point_seconds > 0) {
      const auto now = Clock::now();
      for (auto& r : running) {
        if (!r.timed_out && std::chrono::duration<double>(now - r.start).count() >=
                                settings.timeout_per_point_seconds) {
          r.timed_out = true;
          ::kill(-r.pid, SIGKILL);
        }
      }
    }
    reap(false);
    show_progress(false);
    if (done > snapshot_done &&
        std::chrono::duration<double>(Clock::now() - last_snapshot).count() >= snapshot_interval) {
      const auto begin = Clock::now();
      write_current(true, false);
      last_snapshot = Clock::now();
      snapshot_interval =
          std::max(10.0, 20.0 * std::chrono::duration<double>(last_snapshot - begin).count());
      snapshot_done = done;
    }
  }
  outcome.interrupted = g_interrupted != 0;
  if (progress_shown || (settings.progress && !outcome.interrupted)) show_progress(true);

  const std::uint64_t written = write_current(outcome.interrupted, true);
  outcome.pareto_points = pareto_count;
  meta.complete = !outcome.interrupted && written == meta.points;
  write_meta(meta_path, meta);
  std::error_code ec;
  if (fs::exists(out / "logs") && fs::is_empty(out / "logs")) fs::remove(out / "logs", ec);
  outcome.wall_seconds = std::chrono::duration<double>(Clock::now() - sweep_start).count();
  return outcome;
}

}  // namespace sweep
