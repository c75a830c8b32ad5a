#pragma once
// Constraints that skip design points before they run: one comparison per constraint over
// config keys, derived quantities, numbers and quoted strings, with + - * / and parentheses,
// e.g. "sram_total_bytes <= 262144" or "accelerator.pe_array.dataflow != 'is'".

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sweep {

/// Looks up the text of a config key or derived quantity; nullopt when unknown.
using ValueLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// A parsed comparison.
class Constraint {
 public:
  /// Parses the text; throws std::invalid_argument saying what is wrong.
  explicit Constraint(const std::string& text);
  ~Constraint();
  Constraint(Constraint&&) noexcept;
  Constraint& operator=(Constraint&&) noexcept;

  /// Every identifier (key path or derived name) the constraint reads.
  const std::vector<std::string>& identifiers() const { return identifiers_; }
  /// Evaluates the comparison; throws std::invalid_argument when a name is unknown or an
  /// arithmetic operand is not a number.
  bool holds(const ValueLookup& lookup) const;
  const std::string& text() const { return text_; }

  struct Node;

 private:
  std::string text_;
  std::unique_ptr<Node> root_;
  std::vector<std::string> identifiers_;
};

/// Names of the derived quantities constraints may use, with their meaning.
const std::vector<std::pair<std::string, std::string>>& derived_quantities();

/// Computes a derived quantity from config values; nullopt when `name` is not derived.
std::optional<std::string> derived_value(const std::string& name, const ValueLookup& config);

}  // namespace sweep
