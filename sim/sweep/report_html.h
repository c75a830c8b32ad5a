#pragma once
// report.html for a sweep directory: one self-contained page (inline SVG and CSS, no
// scripts, no network) with the Pareto scatter, each objective against each swept key, the
// table of best points and the failures.

#include <string>

namespace sweep {

/// Reads DIR/sweep.json and DIR/results.jsonl and writes DIR/report.html (or `out_file`).
/// Returns the path written; throws sim::ConfigError when DIR is not a sweep directory.
std::string write_report(const std::string& dir, const std::string& out_file = "");

}  // namespace sweep
