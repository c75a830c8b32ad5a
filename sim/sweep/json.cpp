#include "sim/sweep/json.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace sweep {

const JsonValue* JsonValue::find(const std::string& key) const {
  for (const auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

namespace {

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  JsonValue document() {
    JsonValue value = parse_value();
    skip_space();
    if (pos_ != text_.size()) fail("trailing characters");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("malformed JSON at offset " + std::to_string(pos_) + ": " + what);
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!consume(c)) fail(std::string("expected '") + c + "'");
  }

  JsonValue parse_value() {
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end");
    const char c = text_[pos_];
    JsonValue value;
    if (c == '{') {
      ++pos_;
      value.type = JsonValue::Type::kObject;
      if (consume('}')) return value;
      do {
        skip_space();
        std::string key = parse_string();
        expect(':');
        value.members.emplace_back(std::move(key), parse_value());
      } while (consume(','));
      expect('}');
    } else if (c == '[') {
      ++pos_;
      value.type = JsonValue::Type::kArray;
      if (consume(']')) return value;
      do {
        value.items.push_back(parse_value());
      } while (consume(','));
      expect(']');
    } else if (c == '"') {
      value.type = JsonValue::Type::kString;
      value.text = parse_string();
    } else if (text_.compare(pos_, 4, "true") == 0) {
      pos_ += 4;
      value.type = JsonValue::Type::kBool;
      value.text = "true";
    } else if (text_.compare(pos_, 5, "false") == 0) {
      pos_ += 5;
      value.type = JsonValue::Type::kBool;
      value.text = "false";
    } else if (text_.compare(pos_, 4, "null") == 0) {
      pos_ += 4;
    } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      const std::size_t start = pos_;
      ++pos_;
      while (pos_ < text_.size() &&
             (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
              text_[pos_] == 'e' || text_[pos_] == 'E' || text_[pos_] == '+' ||
              text_[pos_] == '-')) {
        ++pos_;
      }
      value.type = JsonValue::Type::kNumber;
      value.text = text_.substr(start, pos_ - start);
    } else {
      fail(std::string("unexpected character '") + c + "'");
    }
    return value;
  }

  std::string parse_string() {
    if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a string");
    ++pos_;
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) fail("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') break;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) fail("unterminated escape");
      const char e = text_[pos_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          if (pos_ + 4 > text_.size()) fail("short \\u escape");
          const unsigned code = std::stoul(text_.substr(pos_, 4), nullptr, 16);
          pos_ += 4;
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
          }
          break;
        }
        default:
          out += e;
      }
    }
    return out;
  }

  const std::string& text_;
  std::size_t pos_ = 0;
};

}  // namespace

JsonValue parse_json(const std::string& text) { return Parser(text).document(); }

std::string json_quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string to_json(const JsonValue& value) {
  switch (value.type) {
    case JsonValue::Type::kNull:
      return "null";
    case JsonValue::Type::kBool:
    case JsonValue::Type::kNumber:
      return value.text;
    case JsonValue::Type::kString:
      return json_quote(value.text);
    case JsonValue::Type::kArray: {
      std::string out = "[";
      for (std::size_t i = 0; i < value.items.size(); ++i) {
        out += (i ? "," : "") + to_json(value.items[i]);
      }
      return out + "]";
    }
    case JsonValue::Type::kObject: {
      std::string out = "{";
      for (std::size_t i = 0; i < value.members.size(); ++i) {
        out += (i ? "," : "") + json_quote(value.members[i].first) + ":" +
               to_json(value.members[i].second);
      }
      return out + "}";
    }
  }
  return "null";
}

std::string scalar_text(const JsonValue& value) {
  if (value.type == JsonValue::Type::kNull) return "";
  if (value.type == JsonValue::Type::kArray || value.type == JsonValue::Type::kObject) {
    return to_json(value);
  }
  return value.text;
}

bool parse_number(const std::string& text, double& out) {
  if (text.empty()) return false;
  const char first = text[0];
  if (!(first == '-' || first == '+' || first == '.' ||
        std::isdigit(static_cast<unsigned char>(first)))) {
    return false;
  }
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

namespace {

/// True when `text` follows the JSON number grammar: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?
bool is_json_number(const std::string& text) {
  std::size_t i = 0;
  const auto digits = [&]() {
    const std::size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    return i - start;
  };
  if (i < text.size() && text[i] == '-') ++i;
  if (i < text.size() && text[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == text.size();
}

}  // namespace

JsonValue scalar_from_text(const std::string& text) {
  JsonValue value;
  double number = 0;
  if (text == "true" || text == "false") {
    value.type = JsonValue::Type::kBool;
  } else if (is_json_number(text) && parse_number(text, number)) {
    value.type = JsonValue::Type::kNumber;
  } else {
    value.type = JsonValue::Type::kString;
  }
  value.text = text;
  return value;
}

void flatten_json(const JsonValue& value, const std::string& prefix,
                  std::vector<std::pair<std::string, JsonValue>>& out) {
  if (value.type == JsonValue::Type::kObject) {
    for (const auto& [key, member] : value.members) {
      flatten_json(member, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (value.type != JsonValue::Type::kArray) {
    out.emplace_back(prefix, value);
  }
}

}  // namespace sweep
