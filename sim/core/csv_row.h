#pragma once
// Reading one row of a small, strict CSV file (no quoting): split into fields, and typed
// access to each field with one-line errors "origin:line: column: what, got 'value'".

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "sim/core/config.h"

namespace sim {

/// `line` split at every `separator`; a trailing separator gives a last empty field.
inline std::vector<std::string> split_fields(const std::string& line, char separator = ',') {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream stream(line);
  while (std::getline(stream, field, separator)) fields.push_back(field);
  if (!line.empty() && line.back() == separator) fields.emplace_back();
  return fields;
}

/// A decimal unsigned integer with nothing around it (no sign, no spaces).
inline bool parse_unsigned(const std::string& text, std::uint64_t& value) {
  char* end = nullptr;
  errno = 0;
  value = std::strtoull(text.c_str(), &end, 10);
  return !text.empty() && text[0] != '-' && text[0] != '+' && *end == '\0' && errno == 0;
}

/// One row of a file whose columns are named by `columns` (fields.size() entries, checked by
/// the caller). Keeps references: the row must not outlive `origin`, `fields` or `columns`.
class CsvRow {
 public:
  CsvRow(const std::string& origin, int line, const std::vector<std::string>& fields,
         const char* const* columns)
      : origin_(origin), line_(line), fields_(fields), columns_(columns) {}

  const std::string& operator[](std::size_t column) const { return fields_[column]; }

  [[noreturn]] void fail(std::size_t column, const std::string& what) const {
    throw ConfigError(origin_ + ":" + std::to_string(line_) + ": " + columns_[column] + ": " +
                      what + ", got '" + fields_[column] + "'");
  }
  std::uint64_t unsigned_at(std::size_t column) const {
    std::uint64_t value = 0;
    if (!parse_unsigned(fields_[column], value)) fail(column, "expected an unsigned integer");
    return value;
  }

 private:
  const std::string& origin_;
  int line_;
  const std::vector<std::string>& fields_;
  const char* const* columns_;
};

}  // namespace sim
