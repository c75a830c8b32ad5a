#pragma once
// Slurm job scripts for a sharded sweep: an sbatch array whose task I runs
// `edgesim sweep FILE --shard I/N`, and a merge job that runs after every task ended.

#include <string>
#include <vector>

namespace sweep {

/// What the scripts run and where they write.
struct SlurmPlan {
  std::string edgesim_exe;  // absolute path of the edgesim binary on the cluster
  std::string sweep_file;   // absolute path of the sweep file
  std::string out_dir;      // absolute results directory (shards go to OUT/shards/shard-I)
  unsigned shards = 1;
  unsigned jobs_per_shard = 1;  // --jobs of each task (also --cpus-per-task)
  double timeout_per_point_seconds = 0;
  std::vector<std::string> sbatch_options;  // extra sbatch options, e.g. --partition=debug
  std::string job_name = "edgesim-sweep";
};

/// Splits an option string like "--partition=debug --time 01:00:00" into words, honouring
/// single and double quotes; throws sim::ConfigError on an unterminated quote.
std::vector<std::string> split_shell_words(const std::string& text);
/// Quotes a word for a POSIX shell.
std::string shell_quote(const std::string& word);

/// The array job script (sweep.sbatch).
std::string array_script(const SlurmPlan& plan);
/// The merge job script (merge.sbatch), submitted with --dependency=afterany:ARRAY_JOB.
std::string merge_script(const SlurmPlan& plan);

}  // namespace sweep
