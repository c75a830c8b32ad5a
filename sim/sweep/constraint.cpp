#include "sim/sweep/constraint.h"

#include <cctype>
#include <cmath>
#include <stdexcept>

#include "sim/core/config.h"
#include "sim/sweep/json.h"

namespace sweep {

struct Constraint::Node {
  enum class Kind { kNumber, kString, kName, kBinary };
  Kind kind = Kind::kNumber;
  std::string text;  // literal text, name, or operator
  std::unique_ptr<Node> left, right;
};

namespace {

using Node = Constraint::Node;

/// Integers print without a fraction ("16", not "16.0"), so derived figures read naturally.
std::string number_text(double value) {
  if (std::fabs(value) < 1e15 && value == std::floor(value)) {
    return std::to_string(static_cast<long long>(value));
  }
  return sim::format_double(value);
}

struct Value {
  bool is_number = false;
  double number = 0;
  std::string text;
};

class ExprParser {
 public:
  ExprParser(const std::string& text, std::vector<std::string>& names)
      : text_(text), names_(names) {}

  std::unique_ptr<Node> comparison() {
    auto left = sum();
    skip();
    static const char* kOps[] = {"<=", ">=", "==", "!=", "<", ">"};
    std::string op;
    for (const char* candidate : kOps) {
      if (text_.compare(pos_, std::char_traits<char>::length(candidate), candidate) == 0) {
        op = candidate;
        break;
      }
    }
    if (op.empty()) fail("expected a comparison (<, <=, >, >=, ==, !=)");
    pos_ += op.size();
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::kBinary;
    node->text = op;
    node->left = std::move(left);
    node->right = sum();
    skip();
    if (pos_ != text_.size()) fail("unexpected '" + text_.substr(pos_) + "'");
    return node;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument(what + " at column " + std::to_string(pos_ + 1));
  }
  void skip() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  std::unique_ptr<Node> binary(std::unique_ptr<Node> left, char op, std::unique_ptr<Node> right) {
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::kBinary;
    node->text = std::string(1, op);
    node->left = std::move(left);
    node->right = std::move(right);
    return node;
  }
  std::unique_ptr<Node> sum() {
    auto left = product();
    while (true) {
      skip();
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
        const char op = text_[pos_++];
        left = binary(std::move(left), op, product());
      } else {
        return left;
      }
    }
  }
  std::unique_ptr<Node> product() {
    auto left = atom();
    while (true) {
      skip();
      if (pos_ < text_.size() && (text_[pos_] == '*' || text_[pos_] == '/')) {
        const char op = text_[pos_++];
        left = binary(std::move(left), op, atom());
      } else {
        return left;
      }
    }
  }
  std::unique_ptr<Node> atom() {
    skip();
    if (pos_ >= text_.size()) fail("expected a value");
    const char c = text_[pos_];
    auto node = std::make_unique<Node>();
    if (c == '(') {
      ++pos_;
      node = sum();
      skip();
      if (pos_ >= text_.size() || text_[pos_] != ')') fail("expected ')'");
      ++pos_;
      return node;
    }
    if (c == '\'' || c == '"') {
      const auto end = text_.find(c, pos_ + 1);
      if (end == std::string::npos) fail("unterminated string");
      node->kind = Node::Kind::kString;
      node->text = text_.substr(pos_ + 1, end - pos_ - 1);
      pos_ = end + 1;
      return node;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      const std::size_t start = pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
              ((text_[pos_] == '+' || text_[pos_] == '-') &&
               (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E')))) {
        ++pos_;
      }
      node->kind = Node::Kind::kNumber;
      node->text = text_.substr(start, pos_ - start);
      double value = 0;
      if (!parse_number(node->text, value)) fail("'" + node->text + "' is not a number");
      return node;
    }
    if (c == '-') {
      ++pos_;
      auto zero = std::make_unique<Node>();
      zero->text = "0";
      return binary(std::move(zero), '-', atom());
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::size_t start = pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_' ||
              text_[pos_] == '.' || text_[pos_] == '[' || text_[pos_] == ']')) {
        ++pos_;
      }
      node->kind = Node::Kind::kName;
      node->text = text_.substr(start, pos_ - start);
      names_.push_back(node->text);
      return node;
    }
    fail(std::string("unexpected '") + c + "'");
  }

  const std::string& text_;
  std::vector<std::string>& names_;
  std::size_t pos_ = 0;
};

Value evaluate(const Node& node, const ValueLookup& lookup) {
  Value v;
  switch (node.kind) {
    case Node::Kind::kNumber:
      v.is_number = parse_number(node.text, v.number);
      v.text = node.text;
      return v;
    case Node::Kind::kString:
      v.text = node.text;
      return v;
    case Node::Kind::kName: {
      const auto text = lookup(node.text);
      if (!text)
        throw std::invalid_argument("'" + node.text + "' is not a config key or derived quantity");
      v.text = *text;
      v.is_number = parse_number(v.text, v.number);
      return v;
    }
    case Node::Kind::kBinary:
      break;
  }
  const Value a = evaluate(*node.left, lookup);
  const Value b = evaluate(*node.right, lookup);
  const std::string& op = node.text;
  if (op.size() == 1 && std::string("+-*/").find(op[0]) != std::string::npos) {
    if (!a.is_number || !b.is_number) {
      throw std::invalid_argument("'" + op + "' needs numbers, got '" + a.text + "' and '" +
                                  b.text + "'");
    }
    v.is_number = true;
    v.number = op == "+"   ? a.number + b.number
               : op == "-" ? a.number - b.number
               : op == "*" ? a.number * b.number
                           : a.number / b.number;
    v.text = number_text(v.number);
    return v;
  }
  int order = 0;
  if (a.is_number && b.is_number) {
    order = a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
  } else {
    order = a.text.compare(b.text);
    order = order < 0 ? -1 : (order > 0 ? 1 : 0);
  }
  const bool result = op == "<"    ? order < 0
                      : op == "<=" ? order <= 0
                      : op == ">"  ? order > 0
                      : op == ">=" ? order >= 0
                      : op == "==" ? order == 0
                                   : order != 0;
  v.is_number = true;
  v.number = result ? 1 : 0;
  return v;
}

}  // namespace

Constraint::Constraint(const std::string& text) : text_(text) {
  ExprParser parser(text_, identifiers_);
  root_ = parser.comparison();
}
Constraint::~Constraint() = default;
Constraint::Constraint(Constraint&&) noexcept = default;
Constraint& Constraint::operator=(Constraint&&) noexcept = default;

bool Constraint::holds(const ValueLookup& lookup) const {
  return evaluate(*root_, lookup).number != 0;
}

const std::vector<std::pair<std::string, std::string>>& derived_quantities() {
  static const std::vector<std::pair<std::string, std::string>> kDerived = {
      {"pe_count", "accelerator.pe_array.rows x accelerator.pe_array.cols"},
      {"sram_total_bytes",
       "on-chip buffer bytes: unified_bytes when accelerator.sram.organisation is unified, "
       "else ifmap_bytes + weight_bytes + ofmap_bytes"},
      {"mean_w_bits",
       "weight bits averaged over the workload's layers with weights (not vector or layout "
       "layers): workload.precision.layers.<name>.w_bits, else workload.precision.w_bits; "
       "fp16/bf16 count 16, fp32 32"},
  };
  return kDerived;
}

std::optional<std::string> derived_value(const std::string& name, const ValueLookup& config) {
  const auto number = [&](const std::string& key) {
    double value = 0;
    const auto text = config(key);
    if (!text || !parse_number(*text, value)) {
      throw std::invalid_argument(name + " needs the number " + key);
    }
    return value;
  };
  if (name == "pe_count") {
    return number_text(number("accelerator.pe_array.rows") * number("accelerator.pe_array.cols"));
  }
  if (name == "sram_total_bytes") {
    const auto organisation = config("accelerator.sram.organisation");
    if (organisation && *organisation == "unified") {
      return number_text(number("accelerator.sram.unified_bytes"));
    }
    return number_text(number("accelerator.sram.ifmap_bytes") +
                       number("accelerator.sram.weight_bytes") +
                       number("accelerator.sram.ofmap_bytes"));
  }
  if (name == "mean_w_bits") {
    const auto bits_of = [&](const std::optional<std::string>& text) -> std::optional<double> {
      if (!text) return std::nullopt;
      double value = 0;
      if (parse_number(*text, value)) return value;
      if (*text == "fp32") return 32.0;
      if (*text == "fp16" || *text == "bf16") return 16.0;
      throw std::invalid_argument(name + ": '" + *text + "' is not a weight width");
    };
    const double global = bits_of(config("workload.precision.w_bits")).value_or(8.0);
    double sum = 0;
    std::size_t weighted = 0;
    for (std::size_t i = 0;; ++i) {
      const std::string prefix = "workload.layers[" + std::to_string(i) + "].";
      const auto layer = config(prefix + "name");
      if (!layer) break;
      const auto type = config(prefix + "type");
      if (type && (*type == "vector" || *type == "layout")) continue;  // no weights
      auto bits = bits_of(config("workload.precision.layers." + *layer + ".w_bits"));
      if (!bits)
        bits = bits_of(config("workload.precision.layers." + std::to_string(i) + ".w_bits"));
      sum += bits.value_or(global);
      ++weighted;
    }
    if (weighted == 0) throw std::invalid_argument(name + " needs a workload with weighted layers");
    return number_text(sum / static_cast<double>(weighted));
  }
  return std::nullopt;
}

}  // namespace sweep
