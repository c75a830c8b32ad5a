// `edgesim sweep`: design-space sweeps from a sweep file, on this machine (N processes at a
// time), one shard of it, or as a Slurm array job; `edgesim sweep merge` combines shards.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "sim/app/commands.h"
#include "sim/app/run_setup.h"
#include "sim/sweep/report_html.h"
#include "sim/sweep/results.h"
#include "sim/sweep/runner.h"
#include "sim/sweep/slurm.h"
#include "sim/sweep/space.h"
#include "sim/sweep/spec.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace app {

namespace {

constexpr const char* kSweepUsage =
    "Usage: edgesim sweep FILE [options]\n"
    "       edgesim sweep merge DIR... [--out DIR]\n"
    "Runs every design point of a sweep file, each in its own `edgesim run` process, N at a\n"
    "time, and writes results.csv, results.jsonl, pareto.csv and sweep.json into the output\n"
    "directory (see docs/sweeps.md for the sweep file).\n\n"
    "Examples:\n"
    "  edgesim sweep examples/sweeps/array_sram_dataflow.yaml --jobs 2 --out sweeps/asd\n"
    "  edgesim sweep examples/sweeps/array_sram_dataflow.yaml --out sweeps/asd --resume\n"
    "  edgesim sweep FILE --shard 0/4 --out sweeps/x/shards/shard-0\n"
    "  edgesim sweep FILE --slurm --shards 8 --slurm-opts \"--partition=short --time=01:00:00\"\n"
    "  edgesim sweep merge sweeps/x/shards/shard-* --out sweeps/x\n"
    "  edgesim report sweeps/asd   (writes sweeps/asd/report.html)\n\nOptions";

/// The edgesim binary itself, which runs each point.
std::string self_exe() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw sim::InternalError("cannot read /proc/self/exe: " + ec.message());
  return exe.string();
}

sweep::Resolver make_resolver(const sweep::SweepSpec& spec) {
  return [&spec](const std::vector<std::string>& sets) {
    RunOptions options;
    options.platform = spec.platform;
    options.workload = spec.workload;
    options.scheme = spec.scheme;
    options.sets = sets;
    return prepare_run(options).config->resolved_yaml();
  };
}

int merge_command(int argc, const char* const* argv) {
  std::vector<std::string> dirs;
  std::string out_dir;
  po::options_description described(
      "Usage: edgesim sweep merge DIR... [--out DIR]\n"
      "Combines the result directories of the shards of one sweep into results.jsonl,\n"
      "results.csv, pareto.csv and sweep.json, identical to a single-machine run (apart from\n"
      "wall-clock columns). Without --out, shards in X/shards/ merge into X.\n"
      "Example: edgesim sweep merge sweeps/x/shards/shard-0 sweeps/x/shards/shard-1 --out "
      "sweeps/x\n\nOptions");
  described.add_options()("help,h", "show this help")("out,o", po::value(&out_dir),
                                                      "directory for the merged results");
  po::options_description hidden;
  hidden.add_options()("dirs", po::value(&dirs)->composing(), "shard result directories");
  po::options_description all;
  all.add(described).add(hidden);
  po::positional_options_description positional;
  positional.add("dirs", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw sim::ConfigError(std::string("edgesim sweep merge: ") + e.what() +
                           " (see edgesim sweep merge --help)");
  }
  if (vm.count("help")) {
    std::cout << described << "\n";
    return 0;
  }
  if (dirs.empty()) throw sim::ConfigError("edgesim sweep merge: expected shard directories");
  if (out_dir.empty()) {
    const fs::path parent = fs::path(dirs.front()).lexically_normal().parent_path();
    for (const auto& d : dirs) {
      if (fs::path(d).lexically_normal().parent_path() != parent || parent.filename() != "shards") {
        throw sim::ConfigError(
            "edgesim sweep merge: give --out DIR (the shards are not all in "
            "one X/shards/ directory)");
      }
    }
    out_dir = parent.parent_path().empty() ? "." : parent.parent_path().string();
  }
  const std::uint64_t rows = sweep::merge_results(dirs, out_dir);
  std::cout << "merged " << dirs.size() << " shard(s), " << rows << " points into " << out_dir
            << "/results.csv and pareto.csv\n";
  return 0;
}

/// Runs a command and returns its stdout; throws ConfigError when it fails.
std::string capture(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw sim::ConfigError("cannot run " + command);
  std::string out;
  char buffer[512];
  while (std::fgets(buffer, sizeof(buffer), pipe)) out += buffer;
  const int status = ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (status != 0) throw sim::ConfigError("--slurm: `" + command + "` failed: " + out);
  return out;
}

}  // namespace

int sweep_command(int argc, const char* const* argv) {
  if (argc >= 2 && std::string(argv[1]) == "merge") return merge_command(argc - 1, argv + 1);
  std::string file, out_dir, shard_text, slurm_opts;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  unsigned shards = 0;
  double timeout = 0;
  bool resume = false, slurm = false, dry_run = false, list = false, no_progress = false,
       discard_runs = false;
  po::options_description described(kSweepUsage);
  described.add_options()("help,h", "show this help")(
      "jobs,j", po::value(&jobs), "points simulated at a time (default: all cores)")(
      "out,o", po::value(&out_dir),
      "results directory (default sweeps/<sweep file name>, and for --shard I/N "
      "sweeps/<sweep file name>/shards/shard-I)")(
      "resume", po::bool_switch(&resume),
      "continue a sweep in --out: points already recorded with the same resolved config are "
      "kept, the rest (and crashed or timed-out ones) run")(
      "timeout-per-point", po::value(&timeout),
      "seconds a point may run before it is stopped and recorded as timeout (default: none)")(
      "shard", po::value(&shard_text),
      "run only shard I of N (0-based: the points whose index is I modulo N), e.g. 0/4")(
      "list", po::bool_switch(&list),
      "print the points (of --shard) that would run, one per line, and exit")(
      "no-progress", po::bool_switch(&no_progress), "no progress line on stderr")(
      "discard-runs", po::bool_switch(&discard_runs),
      "delete each point's run directory once its row is recorded (saves disk on big sweeps)")(
      "slurm", po::bool_switch(&slurm),
      "write (and submit with sbatch) a Slurm array job running the shards, plus a merge job")(
      "shards", po::value(&shards), "number of shards for --slurm (default: min(points, 8))")(
      "slurm-opts", po::value(&slurm_opts),
      "extra sbatch options for both jobs, e.g. \"--partition=short --time=01:00:00\"")(
      "dry-run", po::bool_switch(&dry_run), "with --slurm: write the scripts, do not submit");
  po::options_description hidden;
  hidden.add_options()("file", po::value(&file), "the sweep file (YAML)");
  po::options_description all;
  all.add(described).add(hidden);
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw sim::ConfigError(std::string("edgesim sweep: ") + e.what() +
                           " (see edgesim sweep --help)");
  }
  if (vm.count("help")) {
    std::cout << described << "\n";
    return 0;
  }
  if (file.empty())
    throw sim::ConfigError("edgesim sweep: expected a sweep file (see edgesim sweep --help)");
  if (jobs == 0) throw sim::ConfigError("--jobs: must be at least 1, got 0");
  if (timeout < 0) throw sim::ConfigError("--timeout-per-point: must be >= 0 seconds");
  if (dry_run && !slurm) throw sim::ConfigError("--dry-run: only with --slurm");
  if (slurm && !shard_text.empty())
    throw sim::ConfigError("--slurm: runs every shard; drop --shard");

  const sweep::SweepSpec spec = sweep::parse_sweep_file(file);
  const sweep::Resolver resolve = make_resolver(spec);
  sweep::Shard shard;
  if (!shard_text.empty()) shard = sweep::parse_shard(shard_text);
  if (out_dir.empty()) {
    out_dir = "sweeps/" + fs::path(file).stem().string();
    // Shards default to X/shards/shard-I, which `edgesim sweep merge` combines into X.
    if (!shard_text.empty()) out_dir += "/shards/shard-" + std::to_string(shard.index);
  }

  if (list) {
    const std::string base_yaml = sweep::validate_spec(spec, resolve);
    const sweep::PointSpace space(spec, base_yaml);
    std::string line;
    const std::uint64_t n = space.for_each(shard, [&](const sweep::Point& p) {
      line = std::to_string(p.index);
      for (std::size_t a = 0; a < spec.axes.size(); ++a) {
        line += " " + spec.axes[a].key + "=" + p.values[a];
      }
      line += "\n";
      std::fputs(line.c_str(), stdout);
      return true;
    });
    std::fprintf(stderr, "%llu points\n", static_cast<unsigned long long>(n));
    return 0;
  }

  if (slurm) {
    const std::string base_yaml = sweep::validate_spec(spec, resolve);
    const sweep::PointSpace space(spec, base_yaml);
    const std::uint64_t points =
        space.for_each(sweep::Shard{}, [](const sweep::Point&) { return true; });
    if (points == 0) throw sim::ConfigError(file + ": no point satisfies the constraints");
    sweep::SlurmPlan plan;
    plan.edgesim_exe = self_exe();
    plan.sweep_file = fs::absolute(file).lexically_normal().string();
    plan.out_dir = fs::absolute(out_dir).lexically_normal().string();
    plan.shards = shards ? shards : static_cast<unsigned>(std::min<std::uint64_t>(points, 8));
    plan.jobs_per_shard = vm.count("jobs") ? jobs : 1;
    plan.timeout_per_point_seconds = timeout;
    plan.sbatch_options = sweep::split_shell_words(slurm_opts);
    if (fs::exists(plan.out_dir + "/shards") && !fs::is_empty(plan.out_dir + "/shards") &&
        !resume) {
      throw sim::ConfigError("--out: " + out_dir +
                             " already holds shards (continue them with "
                             "--resume, or choose another --out)");
    }
    fs::create_directories(plan.out_dir + "/slurm");
    fs::create_directories(plan.out_dir + "/shards");
    const std::string array_path = plan.out_dir + "/slurm/sweep.sbatch";
    const std::string merge_path = plan.out_dir + "/slurm/merge.sbatch";
    sweep::write_file_atomic(array_path, sweep::array_script(plan));
    sweep::write_file_atomic(merge_path, sweep::merge_script(plan));
    fs::permissions(array_path, fs::perms::owner_exec | fs::perms::group_exec,
                    fs::perm_options::add);
    fs::permissions(merge_path, fs::perms::owner_exec | fs::perms::group_exec,
                    fs::perm_options::add);
    std::cout << points << " points in " << plan.shards << " shards\nwrote " << array_path
              << "\nwrote " << merge_path << "\n";
    if (dry_run) {
      std::cout << "submit with: jobid=$(sbatch --parsable " << sweep::shell_quote(array_path)
                << ") && sbatch --dependency=afterany:$jobid " << sweep::shell_quote(merge_path)
                << "\n";
      return 0;
    }
    const std::string array_job = capture("sbatch --parsable " + sweep::shell_quote(array_path));
    const std::string merge_job = capture(
        "sbatch --parsable --dependency=afterany:" + array_job.substr(0, array_job.find(';')) +
        " " + sweep::shell_quote(merge_path));
    std::cout << "submitted array job " << array_job << " and merge job " << merge_job
              << "; results appear in " << out_dir << "/results.csv when the merge job ends\n";
    return 0;
  }

  sweep::RunSettings settings;
  settings.out_dir = out_dir;
  settings.jobs = jobs;
  settings.resume = resume;
  settings.timeout_per_point_seconds = timeout;
  settings.shard = shard;
  // The binary that runs each point: this edgesim, unless EDGESIM_SWEEP_WORKER names another
  // (a wrapper script, e.g. to add a profiler or, in tests, to inject crashes).
  const char* worker = std::getenv("EDGESIM_SWEEP_WORKER");
  settings.edgesim_exe = worker && *worker ? worker : self_exe();
  settings.progress = !no_progress;
  settings.keep_runs = !discard_runs;
  const sweep::SweepOutcome outcome = sweep::run_sweep(spec, settings, resolve, std::cerr);
  char line[512];
  std::snprintf(line, sizeof(line),
                "%llu points (%llu run, %llu reused, %llu infeasible, %llu failed; %llu skipped by "
                "constraints) in %.1f s; %llu on the Pareto front\n",
                static_cast<unsigned long long>(outcome.points),
                static_cast<unsigned long long>(outcome.ran),
                static_cast<unsigned long long>(outcome.reused),
                static_cast<unsigned long long>(outcome.infeasible),
                static_cast<unsigned long long>(outcome.failed),
                static_cast<unsigned long long>(outcome.skipped_by_constraints),
                outcome.wall_seconds, static_cast<unsigned long long>(outcome.pareto_points));
  std::cout << line;
  if (outcome.interrupted) {
    std::cout << "interrupted: finished points are in " << out_dir
              << "/results.jsonl; continue with: edgesim sweep " << file << " --out " << out_dir
              << " --resume\n";
    return 130;
  }
  if (outcome.failed > 0) {
    std::cerr << "warning: " << outcome.failed << " point(s) failed: see the status and reason "
              << "columns of " << out_dir << "/results.csv and the logs in " << out_dir
              << "/logs/\n";
  }
  std::cout << "results: " << out_dir << "/results.csv, " << out_dir
            << "/pareto.csv; report: edgesim report " << out_dir << "\n";
  return 0;
}

}  // namespace app
