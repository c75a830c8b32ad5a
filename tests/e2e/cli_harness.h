#pragma once
// Runs the edgesim binary as a user would and captures what it prints.

#include <string>

namespace e2e {

/// Exit code and output of one command.
struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

/// Runs `edgesim <args>` in `cwd` (a shell word string; quote as needed).
CommandResult run_edgesim(const std::string& args, const std::string& cwd = ".");
/// A fresh empty directory under the system temp dir.
std::string make_temp_dir(const std::string& prefix);
/// Reads a whole file ("" when missing).
std::string read_file(const std::string& path);
/// Writes a file.
void write_file(const std::string& path, const std::string& text);

}  // namespace e2e
