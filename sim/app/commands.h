#pragma once
// Entry points of the edgesim subcommands. Each takes the arguments after the subcommand
// name, parses them with Boost.Program_options, and returns the process exit code
// (0 success, 2 user error). They throw sim::ConfigError for user mistakes.

namespace app {

int run_command(int argc, const char* const* argv);
int train_command(int argc, const char* const* argv);
int train_tt_command(int argc, const char* const* argv);
int dram_bench_command(int argc, const char* const* argv);
int sweep_command(int argc, const char* const* argv);
int report_command(int argc, const char* const* argv);
int export_command(int argc, const char* const* argv);
int compare_command(int argc, const char* const* argv);

}  // namespace app
