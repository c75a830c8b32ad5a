#include "sim/sweep/slurm.h"

#include <cstdio>

#include "sim/core/config.h"

namespace sweep {

namespace {

/// sbatch options as #SBATCH lines; "--time 01:00" style pairs are joined with '='.
std::string option_lines(const std::vector<std::string>& options) {
  std::string out;
  for (std::size_t i = 0; i < options.size(); ++i) {
    std::string option = options[i];
    if (option.rfind("--", 0) == 0 && option.find('=') == std::string::npos &&
        i + 1 < options.size() && options[i + 1].rfind("-", 0) != 0) {
      option += "=" + shell_quote(options[++i]);
    } else if (option.rfind("-", 0) == 0 && option.rfind("--", 0) != 0 && option.size() == 2 &&
               i + 1 < options.size() && options[i + 1].rfind("-", 0) != 0) {
      option += " " + shell_quote(options[++i]);
    }
    out += "#SBATCH " + option + "\n";
  }
  return out;
}

}  // namespace

std::vector<std::string> split_shell_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < text.size()) {
        word += text[++i];
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) throw sim::ConfigError("--slurm-opts: unterminated quote in '" + text + "'");
  if (in_word) words.push_back(word);
  return words;
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_-+=/.,:@%") == std::string::npos) {
    return word;
  }
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string array_script(const SlurmPlan& plan) {
  char timeout[64] = "";
  if (plan.timeout_per_point_seconds > 0) {
    std::snprintf(timeout, sizeof(timeout), " --timeout-per-point %g",
                  plan.timeout_per_point_seconds);
  }
  const std::string shards = std::to_string(plan.shards);
  return "#!/bin/bash\n"
         "# edgesim sweep: one array task per shard; task I runs shard I/" +
         shards +
         ".\n"
         "# Written by `edgesim sweep --slurm`; merge.sbatch combines the shards afterwards.\n"
         "#SBATCH --job-name=" +
         plan.job_name +
         "\n"
         "#SBATCH --array=0-" +
         std::to_string(plan.shards - 1) +
         "\n"
         "#SBATCH --ntasks=1\n"
         "#SBATCH --cpus-per-task=" +
         std::to_string(plan.jobs_per_shard) +
         "\n"
         "#SBATCH --output=" +
         plan.out_dir + "/slurm/shard-%a.log\n" + option_lines(plan.sbatch_options) +
         "set -euo pipefail\n"
         "shard=${SLURM_ARRAY_TASK_ID:?run this script with sbatch}\n"
         "exec " +
         shell_quote(plan.edgesim_exe) + " sweep " + shell_quote(plan.sweep_file) +
         " --shard \"$shard/" + shards + "\" --jobs \"${SLURM_CPUS_PER_TASK:-" +
         std::to_string(plan.jobs_per_shard) + "}\"" + timeout + " --resume --no-progress --out " +
         shell_quote(plan.out_dir + "/shards") + "/shard-\"$shard\"\n";
}

std::string merge_script(const SlurmPlan& plan) {
  std::string dirs;
  for (unsigned i = 0; i < plan.shards; ++i) {
    dirs += " " + shell_quote(plan.out_dir + "/shards/shard-" + std::to_string(i));
  }
  return "#!/bin/bash\n"
         "# edgesim sweep: merges the shards into results.csv and pareto.csv, then the report.\n"
         "#SBATCH --job-name=" +
         plan.job_name +
         "-merge\n"
         "#SBATCH --ntasks=1\n"
         "#SBATCH --cpus-per-task=1\n"
         "#SBATCH --output=" +
         plan.out_dir + "/slurm/merge.log\n" + option_lines(plan.sbatch_options) +
         "set -euo pipefail\n" + shell_quote(plan.edgesim_exe) + " sweep merge" + dirs + " --out " +
         shell_quote(plan.out_dir) + "\n" + shell_quote(plan.edgesim_exe) + " report " +
         shell_quote(plan.out_dir) + "\n";
}

}  // namespace sweep
