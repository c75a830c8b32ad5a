#pragma once
// A small JSON reader and writer for summary.json and results.jsonl. Numbers keep the text
// they were written with, so values round-trip exactly through the sweep's result files.

#include <string>
#include <utility>
#include <vector>

namespace sweep {

/// One JSON value. Objects keep their keys in file order.
struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  std::string text;  // number text, string contents, or "true"/"false"
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;

  /// The member named `key`, or nullptr.
  const JsonValue* find(const std::string& key) const;
  bool is_number() const { return type == Type::kNumber; }
};

/// Parses one JSON document; throws std::runtime_error with the offset on malformed input.
JsonValue parse_json(const std::string& text);

/// A JSON string literal with escapes.
std::string json_quote(const std::string& text);
/// Writes a value back as compact JSON.
std::string to_json(const JsonValue& value);

/// A scalar as a CSV cell / plain text: numbers and strings as written, null as "".
std::string scalar_text(const JsonValue& value);
/// A scalar from text: a number when it parses as one, true/false as bool, else a string.
JsonValue scalar_from_text(const std::string& text);

/// Flattens nested objects into dotted names ("counters.top.dram.row_hits"); arrays skipped.
void flatten_json(const JsonValue& value, const std::string& prefix,
                  std::vector<std::pair<std::string, JsonValue>>& out);

/// Parses a JSON number or numeric text into a double; false when it is not a number.
bool parse_number(const std::string& text, double& out);

}  // namespace sweep
