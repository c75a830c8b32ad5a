#include "cli_harness.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace e2e {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

std::string make_temp_dir(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "-XXXXXX";
  char* made = mkdtemp(pattern.data());
  if (!made) throw std::runtime_error("mkdtemp failed");
  return made;
}

CommandResult run_edgesim(const std::string& args, const std::string& cwd) {
  const std::string dir = make_temp_dir("edgesim-cmd");
  const std::string command = "cd '" + cwd + "' && '" + std::string(EDGESIM_BINARY) + "' " + args +
                              " >'" + dir + "/out' 2>'" + dir + "/err'";
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(dir + "/out");
  result.err = read_file(dir + "/err");
  std::system(("rm -rf '" + dir + "'").c_str());
  return result;
}

}  // namespace e2e
