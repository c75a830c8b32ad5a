#pragma once
// Tensor-train matrix (TTM) linear layers: shapes, parameter and MAC counts, the sequence of
// small GEMMs each contraction order performs, and a plain-loop reference implementation.
// The maths only; turning network layers into TTM layers and lowering them onto the
// accelerator are not done yet (see docs/tensorized.md).

#include <cstdint>
#include <vector>

namespace workloads {

/// Shape of a TTM layer y = W x with W of M x N, M = prod m_k, N = prod n_k. Core k (0-based)
/// has shape ranks[k] x m[k] x n[k] x ranks[k+1]; ranks has d+1 entries, first and last 1.
struct TtmShape {
  std::vector<std::uint32_t> m;      // output factors m_1..m_d
  std::vector<std::uint32_t> n;      // input factors n_1..n_d
  std::vector<std::uint32_t> ranks;  // r_0..r_d, r_0 = r_d = 1
  std::size_t cores() const { return m.size(); }
};

/// Throws std::invalid_argument naming what is wrong (sizes, zero factors, r_0/r_d != 1).
void validate_ttm_shape(const TtmShape& shape);

/// Ranks (1, r, ..., r, 1) for d cores.
std::vector<std::uint32_t> ttm_uniform_ranks(std::size_t cores, std::uint32_t rank);

/// Uniform ranks capped at the full TT rank of each bond,
/// min(rank, prod_{l<=k} m_l n_l, prod_{l>k} m_l n_l): larger ranks add parameters, not
/// expressiveness.
std::vector<std::uint32_t> ttm_capped_ranks(const std::vector<std::uint32_t>& m,
                                            const std::vector<std::uint32_t>& n,
                                            std::uint32_t max_rank);

/// M = prod m_k.
std::uint64_t ttm_rows(const TtmShape& shape);
/// N = prod n_k.
std::uint64_t ttm_cols(const TtmShape& shape);
/// Elements of core k: r_{k-1} m_k n_k r_k.
std::uint64_t ttm_core_elements(const TtmShape& shape, std::size_t core);
/// Parameters of the TT cores: sum_k r_{k-1} m_k n_k r_k.
std::uint64_t ttm_parameters(const TtmShape& shape);
/// Parameters of the dense matrix it replaces: M N.
std::uint64_t ttm_dense_parameters(const TtmShape& shape);

/// The same layer with m and n swapped and every core transposed: the shape of W^T, whose
/// forward pass is the layer's backward-data pass.
TtmShape ttm_transposed(const TtmShape& shape);

/// How the forward pass contracts the input with the cores.
/// kRightToLeft: core d first (contracts n_d first).
/// kLeftToRight: core 1 first (contracts n_1 first).
/// kRebuildDense: merge the cores into W (cheaper of the two merge directions), then one
/// dense GEMM for the batch.
enum class TtmOrder { kRightToLeft, kLeftToRight, kRebuildDense };

/// "right_to_left", "left_to_right", "rebuild_dense".
const char* ttm_order_name(TtmOrder order);

/// One small GEMM of a contraction: C (gemm_m x gemm_n) += A (gemm_m x gemm_k) B (gemm_k x
/// gemm_n). Element counts are of the tensors the step reads and writes (not counting the core,
/// whose size is ttm_core_elements); reshapes/transposes between steps move data but do no MACs.
struct TtmStep {
  enum class Kind { kContractInput, kMergeCores, kDenseGemm, kCoreGradient };
  Kind kind = Kind::kContractInput;
  std::size_t core = 0;  // core the step multiplies by (0-based); for kDenseGemm unused
  std::uint64_t gemm_m = 0, gemm_n = 0, gemm_k = 0;
  std::uint64_t input_elements = 0;   // intermediate (or input / partial) read
  std::uint64_t output_elements = 0;  // intermediate (or output / gradient) written
  std::uint64_t macs() const { return gemm_m * gemm_n * gemm_k; }
};

/// The GEMMs of the forward pass of `batch` samples in `order`, in execution order.
/// Sequential orders: d steps, step for core k has gemm_m = batch x (free modes), gemm_k =
/// r n_k (contracted), gemm_n = m_k r (produced). kRebuildDense: d-1 merges then one dense GEMM.
std::vector<TtmStep> ttm_forward_steps(const TtmShape& shape, TtmOrder order,
                                       std::uint64_t batch = 1);
/// Sum of the steps' MACs. For the sequential orders this is batch x the per-sample count
/// sum_k (prod_{l<k} n_l)(prod_{l>k} m_l) r_{k-1} m_k n_k r_k (right to left; left to right
/// swaps m and n in the products). kRebuildDense: merge MACs (once per batch) + batch M N.
std::uint64_t ttm_forward_macs(const TtmShape& shape, TtmOrder order, std::uint64_t batch = 1);
/// Order with the fewest forward MACs for this batch (ties: right to left, left to right,
/// rebuild, in that preference).
TtmOrder ttm_cheapest_forward_order(const TtmShape& shape, std::uint64_t batch = 1);
/// Largest intermediate tensor (elements) written by any step of the order.
std::uint64_t ttm_peak_intermediate_elements(const TtmShape& shape, TtmOrder order,
                                             std::uint64_t batch = 1);

/// Backward-data pass dX = W^T dY: the forward steps of ttm_transposed(shape).
std::vector<TtmStep> ttm_backward_data_steps(const TtmShape& shape, TtmOrder order,
                                             std::uint64_t batch = 1);
std::uint64_t ttm_backward_data_macs(const TtmShape& shape, TtmOrder order,
                                     std::uint64_t batch = 1);

/// Core gradients dG_k, one GEMM per core, contracting an input-side partial (x through cores
/// on one side of k) with an output-side partial (dY through cores on the other side).
/// `partials` names which forward order's intermediates are cached: kLeftToRight pairs the
/// left-to-right forward intermediates with the right-to-left backward-data ones, kRightToLeft
/// the mirror. Either way the gradient GEMM of core k costs what forward step k costs in that
/// order; computing the partials is the forward and backward-data passes themselves.
/// kRebuildDense is rejected (std::invalid_argument): no TT partials exist then.
std::vector<TtmStep> ttm_core_gradient_steps(const TtmShape& shape, TtmOrder partials,
                                             std::uint64_t batch = 1);
std::uint64_t ttm_core_gradient_macs(const TtmShape& shape, TtmOrder partials,
                                     std::uint64_t batch = 1);

/// `count` factors whose product is `value`, as balanced as possible (prime factors placed
/// largest first on the currently smallest factor), sorted ascending. Throws
/// std::invalid_argument if value or count is 0.
std::vector<std::uint32_t> ttm_balanced_factors(std::uint64_t value, std::size_t count);

/// A shape for an M x N matrix with d cores: balanced factors and ranks capped at max_rank
/// (ttm_capped_ranks).
TtmShape ttm_propose_shape(std::uint64_t rows, std::uint64_t cols, std::size_t cores,
                           std::uint32_t max_rank);

// Reference implementation (plain loops, double), for tests. Core k is stored row-major as
// [r_{k-1}][m_k][n_k][r_k]; x and y are row-major over (n_1..n_d) and (m_1..m_d).

/// y = W x by sequential contraction in `order` (kRebuildDense: rebuild W, then multiply).
/// If macs_done is given, adds the multiply-accumulates actually performed.
std::vector<double> ttm_reference_apply(const TtmShape& shape,
                                        const std::vector<std::vector<double>>& cores,
                                        const std::vector<double>& x, TtmOrder order,
                                        std::uint64_t* macs_done = nullptr);
/// Dense W (M x N, row-major) rebuilt from the cores, merging left to right.
std::vector<double> ttm_reference_rebuild(const TtmShape& shape,
                                          const std::vector<std::vector<double>>& cores,
                                          std::uint64_t* macs_done = nullptr);

/// Gradients dL/dG_k of L = dy . (W x), one per core in the core layout, computed as
/// ttm_core_gradient_steps describes: input-side and output-side partials of the `partials`
/// order (recomputed here for each core), then one contraction per core. macs_done adds only
/// the gradient contractions' MACs, comparable with ttm_core_gradient_macs.
std::vector<std::vector<double>> ttm_reference_core_gradients(
    const TtmShape& shape, const std::vector<std::vector<double>>& cores,
    const std::vector<double>& x, const std::vector<double>& dy, TtmOrder partials,
    std::uint64_t* macs_done = nullptr);

}  // namespace workloads
