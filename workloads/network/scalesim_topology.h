#pragma once
// SCALE-Sim v2 topology CSVs as edgesim networks (docs/scalesim.md).
//
// Conv format: a header row, then `name, ifmap_h, ifmap_w, filter_h, filter_w, channels,
// num_filter, stride_h[, stride_w],` (stride_w defaults to stride_h). A layer whose name
// contains "DP" is depthwise. SCALE-Sim computes ofmap = ceil((ifmap - filter + stride) /
// stride) with no padding, reading the windows that run past the bottom / right edge as
// empty; the loader expresses that as the smallest symmetric padding that gives the same
// ofmap size. GEMM format: a header row, then `name, M, N, K,` (a gemm layer m=M, n=N, k=K).

#include <string>

#include "workloads/network/network.h"

namespace workloads {

/// Reads a SCALE-Sim topology CSV; `format` is "conv", "gemm" or "auto" (decided by the
/// header: `Layer, M, N, K` is gemm). Throws sim::ConfigError
/// `file:line: column 'X': expected ..., got 'VALUE'` for a bad row.
Network load_scalesim_topology(const std::string& path, const std::string& format);

/// The same from text already read; `origin` names the file in error messages.
Network parse_scalesim_topology(const std::string& text, const std::string& origin,
                                const std::string& format);

/// Padding that makes edgesim's floor((in + 2 pad - kernel) / stride) + 1 equal SCALE-Sim's
/// ceil((in - kernel + stride) / stride).
std::uint32_t scalesim_equivalent_padding(std::uint32_t in, std::uint32_t kernel,
                                          std::uint32_t stride);

}  // namespace workloads
