#include "sim/app/phases.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "platforms/result_io.h"

namespace app {

workloads::Program phase_program(const RunSetup& setup, std::size_t index) {
  const workloads::Network& network = setup.network_of(index);
  workloads::Program program =
      index == 0 ? setup.program
                 : workloads::lower_program(network, setup.phases[index].precision,
                                            workloads::parse_scheme(setup.scheme), setup.training,
                                            setup.ttm_placement);
  if (setup.platform.sim.functional) {
    for (auto& op : program.ops) {
      if (workloads::functionally_checked(network, op)) {
        op.c.bits = 32;  // raw int32 accumulators, so the host can compare them
      }
    }
  }
  return program;
}

namespace {

platforms::RunResult simulate_one(const RunSetup& setup, std::size_t index, sim::VcdWriter* vcd) {
  const workloads::Program program = phase_program(setup, index);
  const workloads::Network& network = setup.network_of(index);
  // Tiles are planned beside the ttm tensors kept on chip; the simulation has the full SRAM.
  const platforms::PlannedProgram planned = platforms::plan_program(
      planning_platform(setup.platform, network, program), network, program);
  return platforms::simulate(setup.platform, network, program, planned, vcd);
}

void finish(platforms::RunResult& total, const RunSetup& setup) {
  // A pipelined accelerator has no PE array: its model already divides MACs by its
  // multipliers (docs/ull.md).
  if (total.pipeline.enabled) return;
  const double pes = static_cast<double>(setup.platform.accelerator.pe_array.rows) *
                     setup.platform.accelerator.pe_array.cols;
  total.pe_utilization =
      total.total_cycles ? static_cast<double>(total.macs) / (total.total_cycles * pes) : 0;
  for (auto& row : total.layers) {
    row.pe_utilization = row.cycles ? static_cast<double>(row.macs) / (row.cycles * pes) : 0;
  }
}

}  // namespace

platforms::RunResult simulate_phases(const RunSetup& setup, const std::string& scratch_dir,
                                     sim::VcdWriter* vcd, const std::function<void()>& write_traces,
                                     std::vector<platforms::RunResult>* per_phase) {
  if (setup.phases.size() == 1) {
    platforms::RunResult result = simulate_one(setup, 0, vcd);
    if (per_phase) per_phase->assign(1, result);
    if (vcd) write_traces();
    platforms::scale(result, setup.phases[0].iterations);
    finish(result, setup);
    return result;
  }
  // Several phases: one child process each, as many at once as there are cores.
  const std::size_t jobs = std::max(1u, std::thread::hardware_concurrency());
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0;
  auto result_file = [&](std::size_t i) {
    return scratch_dir + "/.phase-" + std::to_string(i) + ".result";
  };
  std::vector<int> status_of(setup.phases.size(), -1);
  while (next < setup.phases.size() || !running.empty()) {
    while (next < setup.phases.size() && running.size() < jobs) {
      const std::size_t i = next++;
      const pid_t pid = fork();
      if (pid == 0) {
        int code = 0;
        try {
          // Only the first phase is traced: the VCD shows one representative iteration.
          const platforms::RunResult r = simulate_one(setup, i, i == 0 ? vcd : nullptr);
          std::ofstream(result_file(i)) << platforms::serialize(r);
          if (i == 0 && vcd) write_traces();
        } catch (...) {
          code = 3;
        }
        _exit(code);
      }
      if (pid < 0) throw sim::InternalError("fork failed while simulating phases");
      running[pid] = i;
    }
    int status = 0;
    const pid_t done = wait(&status);
    if (done < 0) break;
    status_of[running[done]] = WIFEXITED(status) ? WEXITSTATUS(status) : 3;
    running.erase(done);
  }
  platforms::RunResult total;
  for (std::size_t i = 0; i < setup.phases.size(); ++i) {
    EDGESIM_CHECK(status_of[i] == 0,
                  "the simulation of bitwidth phase " + std::to_string(i) + " failed");
    std::ifstream in(result_file(i));
    std::stringstream text;
    text << in.rdbuf();
    std::remove(result_file(i).c_str());
    platforms::RunResult r = platforms::deserialize(text.str());
    if (per_phase) per_phase->push_back(r);
    platforms::scale(r, setup.phases[i].iterations);
    if (i == 0) {
      total = r;
    } else {
      platforms::accumulate(total, r);
    }
  }
  finish(total, setup);
  return total;
}

}  // namespace app
