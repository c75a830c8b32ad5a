#include "sim/core/config.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

namespace sim {

std::string SourceLocation::to_string() const {
  std::string text = file.empty() ? "<config>" : file;
  if (line > 0) text += ":" + std::to_string(line) + ":" + std::to_string(column);
  return text;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  // A typo changes a few characters; beyond a third of the word it is a different word.
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  if (best_distance <= limit) return best;
  // A word that extends or shortens a known key ("batchsize" for "batch") is a likely slip.
  for (const auto& candidate : candidates) {
    if (candidate.size() >= 3 && word.size() >= 3 &&
        (word.rfind(candidate, 0) == 0 || candidate.rfind(word, 0) == 0)) {
      return candidate;
    }
  }
  return std::string();
}

std::string format_double(double value) {
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, result.ptr);
  // Keep it recognisably a float in YAML ("2" -> "2.0") so types survive a round trip.
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

std::vector<std::string> split_key_path(const std::string& dotted_path) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : dotted_path) {
    if (c == '.') {
      parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(current);
  return parts;
}

namespace {

std::string join_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsScalar()) {
    // One line: a long value (a file that is not YAML) is cut short.
    std::string text = node.Scalar();
    for (char& c : text) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return "'" + text + "'";
  }
  if (node.IsSequence()) return "a list";
  return "a map";
}

bool parse_unsigned(const std::string& text, std::uint64_t& out) {
  if (text.empty() || text[0] == '-' || text[0] == '+') return false;
  // Addresses read better in hex: 0x80000000.
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const char* begin = text.data() + (hex ? 2 : 0);
  auto result = std::from_chars(begin, text.data() + text.size(), out, hex ? 16 : 10);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

bool parse_signed(const std::string& text, std::int64_t& out) {
  const char* begin = text.data();
  if (!text.empty() && text[0] == '+') ++begin;
  auto result = std::from_chars(begin, text.data() + text.size(), out);
  return !text.empty() && result.ec == std::errc() && result.ptr == text.data() + text.size();
}

bool parse_real(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  return errno == 0 && end == text.c_str() + text.size() && std::isfinite(out);
}

bool parse_bool(const std::string& text, bool& out) {
  if (text == "true" || text == "True" || text == "TRUE" || text == "yes" || text == "on") {
    out = true;
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE" || text == "no" || text == "off") {
    out = false;
    return true;
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ConfigNode

std::string ConfigNode::path_of(std::string_view key) const { return join_path(path_, key); }

YAML::Node ConfigNode::lookup(std::string_view key) const {
  if (!node_.IsDefined() || !node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& const_node = node_;
  return const_node[std::string(key)];
}

bool ConfigNode::has(std::string_view key) const {
  const YAML::Node value = lookup(key);
  return value.IsDefined() && !value.IsNull();
}

void ConfigNode::mark_read(std::string_view key) const {
  const std::string full = path_of(key);
  if (config_->read_paths_.insert(full).second) {
    config_->known_keys_[path_].push_back(std::string(key));
  }
}

SourceLocation ConfigNode::location(std::string_view key) const {
  SourceLocation loc;
  std::string probe = key.empty() ? path_ : path_of(key);
  // The origin of the closest ancestor that came from a file or an override.
  while (true) {
    auto it = config_->origin_of_path_.find(probe);
    if (it != config_->origin_of_path_.end()) {
      loc.file = it->second;
      break;
    }
    const auto dot = probe.rfind('.');
    if (dot == std::string::npos) break;
    probe.resize(dot);
  }
  const YAML::Node value = key.empty() ? node_ : lookup(key);
  const YAML::Node anchor = (value.IsDefined() && !value.IsNull()) ? value : node_;
  // Overrides from the command line have no file position.
  if (anchor.IsDefined() && loc.file.rfind("--", 0) != 0) {
    const YAML::Mark mark = anchor.Mark();
    if (mark.line >= 0 && !mark.is_null()) {
      loc.line = mark.line + 1;
      loc.column = mark.column + 1;
    }
  }
  return loc;
}

std::string ConfigNode::raw(std::string_view key) const {
  const YAML::Node value = lookup(key);
  return value.IsDefined() && value.IsScalar() ? value.Scalar() : std::string();
}

void ConfigNode::fail(std::string_view key, const std::string& what_expected) const {
  const std::string path = key.empty() ? path_ : path_of(key);
  throw ConfigError(location(key).to_string() + ": " + (path.empty() ? "<root>" : path) + ": " +
                    what_expected);
}

namespace {

template <typename T>
struct ScalarTraits;

template <>
struct ScalarTraits<std::uint64_t> {
  static constexpr const char* kExpected = "must be a non-negative integer";
  static bool parse(const std::string& text, std::uint64_t& out) {
    return parse_unsigned(text, out);
  }
  static YAML::Node emit(std::uint64_t v) { return YAML::Node(std::to_string(v)); }
};

template <>
struct ScalarTraits<std::uint32_t> {
  static constexpr const char* kExpected = "must be a non-negative integer below 2^32";
  static bool parse(const std::string& text, std::uint32_t& out) {
    std::uint64_t wide = 0;
    if (!parse_unsigned(text, wide) || wide > std::numeric_limits<std::uint32_t>::max()) {
      return false;
    }
    out = static_cast<std::uint32_t>(wide);
    return true;
  }
  static YAML::Node emit(std::uint32_t v) { return YAML::Node(std::to_string(v)); }
};

template <>
struct ScalarTraits<std::int64_t> {
  static constexpr const char* kExpected = "must be an integer";
  static bool parse(const std::string& text, std::int64_t& out) { return parse_signed(text, out); }
  static YAML::Node emit(std::int64_t v) { return YAML::Node(std::to_string(v)); }
};

template <>
struct ScalarTraits<int> {
  static constexpr const char* kExpected = "must be an integer";
  static bool parse(const std::string& text, int& out) {
    std::int64_t wide = 0;
    if (!parse_signed(text, wide) || wide > std::numeric_limits<int>::max() ||
        wide < std::numeric_limits<int>::min()) {
      return false;
    }
    out = static_cast<int>(wide);
    return true;
  }
  static YAML::Node emit(int v) { return YAML::Node(std::to_string(v)); }
};

template <>
struct ScalarTraits<double> {
  static constexpr const char* kExpected = "must be a number";
  static bool parse(const std::string& text, double& out) { return parse_real(text, out); }
  static YAML::Node emit(double v) { return YAML::Node(format_double(v)); }
};

template <>
struct ScalarTraits<bool> {
  static constexpr const char* kExpected = "must be true or false";
  static bool parse(const std::string& text, bool& out) { return parse_bool(text, out); }
  static YAML::Node emit(bool v) { return YAML::Node(v ? "true" : "false"); }
};

template <>
struct ScalarTraits<std::string> {
  static constexpr const char* kExpected = "must be a string";
  static bool parse(const std::string& text, std::string& out) {
    out = text;
    return true;
  }
  static YAML::Node emit(const std::string& v) { return YAML::Node(v); }
};

}  // namespace

template <typename T>
T ConfigNode::get(std::string_view key, const T& fallback) const {
  mark_read(key);
  const YAML::Node value = lookup(key);
  T result = fallback;
  if (value.IsDefined() && !value.IsNull()) {
    if (!value.IsScalar() || !ScalarTraits<T>::parse(value.Scalar(), result)) {
      fail(key, std::string(ScalarTraits<T>::kExpected) + ", got " + describe(value));
    }
  }
  resolved_[std::string(key)] = ScalarTraits<T>::emit(result);
  return result;
}

template <typename T>
T ConfigNode::require(std::string_view key) const {
  if (!has(key)) {
    mark_read(key);
    fail(key,
         "is required (" + std::string(ScalarTraits<T>::kExpected).substr(5) + "), got nothing");
  }
  return get<T>(key, T{});
}

template <typename T>
void ConfigNode::set_resolved(std::string_view key, const T& value) const {
  mark_read(key);
  resolved_[std::string(key)] = ScalarTraits<T>::emit(value);
}

template void ConfigNode::set_resolved(std::string_view, const std::uint64_t&) const;
template void ConfigNode::set_resolved(std::string_view, const std::uint32_t&) const;
template void ConfigNode::set_resolved(std::string_view, const double&) const;
template void ConfigNode::set_resolved(std::string_view, const bool&) const;
template void ConfigNode::set_resolved(std::string_view, const std::string&) const;
template std::uint64_t ConfigNode::get(std::string_view, const std::uint64_t&) const;
template std::uint32_t ConfigNode::get(std::string_view, const std::uint32_t&) const;
template std::int64_t ConfigNode::get(std::string_view, const std::int64_t&) const;
template int ConfigNode::get(std::string_view, const int&) const;
template double ConfigNode::get(std::string_view, const double&) const;
template bool ConfigNode::get(std::string_view, const bool&) const;
template std::string ConfigNode::get(std::string_view, const std::string&) const;
template std::uint64_t ConfigNode::require(std::string_view) const;
template std::uint32_t ConfigNode::require(std::string_view) const;
template std::int64_t ConfigNode::require(std::string_view) const;
template int ConfigNode::require(std::string_view) const;
template double ConfigNode::require(std::string_view) const;
template bool ConfigNode::require(std::string_view) const;
template std::string ConfigNode::require(std::string_view) const;

std::uint64_t ConfigNode::get_positive(std::string_view key, std::uint64_t fallback) const {
  const YAML::Node value = lookup(key);
  if (value.IsDefined() && value.IsScalar()) {
    std::int64_t signed_value = 0;
    if (parse_signed(value.Scalar(), signed_value) && signed_value <= 0) {
      mark_read(key);
      fail(key, "must be > 0, got " + value.Scalar());
    }
  }
  const std::uint64_t result = get<std::uint64_t>(key, fallback);
  if (result == 0) fail(key, "must be > 0, got 0");
  return result;
}

double ConfigNode::get_in_range(std::string_view key, double fallback, double lo, double hi) const {
  const double result = get<double>(key, fallback);
  if (result < lo || result > hi) {
    fail(key, "must be in [" + format_double(lo) + ", " + format_double(hi) + "], got " +
                  (has(key) ? raw(key) : format_double(result)));
  }
  return result;
}

std::string ConfigNode::get_choice(std::string_view key, const std::string& fallback,
                                   const std::vector<std::string>& choices) const {
  const std::string result = get<std::string>(key, fallback);
  if (std::find(choices.begin(), choices.end(), result) == choices.end()) {
    std::string list;
    for (const auto& choice : choices) list += (list.empty() ? "" : "|") + choice;
    std::string message = "must be one of " + list + ", got '" + result + "'";
    const std::string suggestion = closest_match(result, choices);
    if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
    fail(key, message);
  }
  return result;
}

std::vector<std::string> ConfigNode::get_string_list(
    std::string_view key, const std::vector<std::string>& fallback) const {
  mark_read(key);
  const YAML::Node value = lookup(key);
  std::vector<std::string> result = fallback;
  if (value.IsDefined() && !value.IsNull()) {
    result.clear();
    if (value.IsScalar()) {
      result.push_back(value.Scalar());
    } else if (value.IsSequence()) {
      for (const auto& item : value) {
        if (!item.IsScalar())
          fail(key, "must be a list of strings, got a nested " + describe(item));
        result.push_back(item.Scalar());
      }
    } else {
      fail(key, "must be a list of strings, got a map");
    }
  }
  YAML::Node emitted(YAML::NodeType::Sequence);
  emitted.SetStyle(YAML::EmitterStyle::Flow);
  for (const auto& item : result) emitted.push_back(item);
  resolved_[std::string(key)] = emitted;
  return result;
}

ConfigNode ConfigNode::child(std::string_view key) const {
  mark_read(key);
  const YAML::Node value = lookup(key);
  if (value.IsDefined() && !value.IsNull() && !value.IsMap()) {
    fail(key, "must be a map of keys, got " + describe(value));
  }
  const std::string name(key);
  if (!resolved_[name].IsMap()) resolved_[name] = YAML::Node(YAML::NodeType::Map);
  return ConfigNode(config_, value.IsDefined() && !value.IsNull() ? value : YAML::Node(),
                    resolved_[name], path_of(key));
}

std::vector<ConfigNode> ConfigNode::child_list(std::string_view key) const {
  mark_read(key);
  const YAML::Node value = lookup(key);
  std::vector<ConfigNode> result;
  const std::string name(key);
  resolved_[name] = YAML::Node(YAML::NodeType::Sequence);
  if (!value.IsDefined() || value.IsNull()) return result;
  if (!value.IsSequence()) fail(key, "must be a list, got " + describe(value));
  YAML::Node resolved_list = resolved_[name];
  for (std::size_t i = 0; i < value.size(); ++i) {
    const YAML::Node item = value[i];
    const std::string item_path = path_of(key) + "[" + std::to_string(i) + "]";
    if (!item.IsMap()) {
      ConfigNode(config_, item, YAML::Node(), item_path)
          .fail("", "must be a map, got " + describe(item));
    }
    resolved_list.push_back(YAML::Node(YAML::NodeType::Map));
    result.push_back(ConfigNode(config_, item, resolved_list[i], item_path));
  }
  return result;
}

std::vector<std::string> ConfigNode::given_keys() const {
  std::vector<std::string> keys;
  if (!node_.IsDefined() || !node_.IsMap()) return keys;
  for (const auto& entry : node_) keys.push_back(entry.first.Scalar());
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Config

Config::Config() : tree_(YAML::NodeType::Map), resolved_(YAML::NodeType::Map) {}

ConfigNode Config::root() { return ConfigNode(this, tree_, resolved_, ""); }

void Config::merge(YAML::Node target, const YAML::Node& source, const std::string& origin,
                   const std::string& path) {
  for (const auto& entry : source) {
    const std::string key = entry.first.Scalar();
    const std::string child_path = join_path(path, key);
    origin_of_path_[child_path] = origin;
    const YAML::Mark mark = entry.first.Mark();
    if (!mark.is_null() && origin.rfind("--", 0) != 0) {
      key_position_[child_path] = {mark.line + 1, mark.column + 1};
    } else {
      key_position_.erase(child_path);
    }
    if (entry.second.IsMap() && target[key].IsMap()) {
      merge(target[key], entry.second, origin, child_path);
    } else {
      target[key] = entry.second;
      // Every path below a replaced node now comes from this origin.
      std::vector<std::pair<YAML::Node, std::string>> stack{{entry.second, child_path}};
      while (!stack.empty()) {
        auto [node, node_path] = stack.back();
        stack.pop_back();
        origin_of_path_[node_path] = origin;
        if (node.IsMap()) {
          for (const auto& sub : node) {
            const std::string sub_path = join_path(node_path, sub.first.Scalar());
            const YAML::Mark key_mark = sub.first.Mark();
            if (!key_mark.is_null() && origin.rfind("--", 0) != 0) {
              key_position_[sub_path] = {key_mark.line + 1, key_mark.column + 1};
            }
            stack.push_back({sub.second, sub_path});
          }
        } else if (node.IsSequence()) {
          for (std::size_t i = 0; i < node.size(); ++i) {
            stack.push_back({node[i], node_path + "[" + std::to_string(i) + "]"});
          }
        }
      }
    }
  }
}

void Config::load_text(const std::string& text, const std::string& origin,
                       const std::string& mount) {
  YAML::Node document;
  try {
    document = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
  }
  if (document.IsNull()) document = YAML::Node(YAML::NodeType::Map);
  if (!document.IsMap()) {
    const YAML::Mark mark = document.Mark();
    throw ConfigError(origin + ":" + std::to_string(mark.line + 1) + ":" +
                      std::to_string(mark.column + 1) + ": " +
                      (mount.empty() ? std::string("<root>") : mount) +
                      ": must be a map of keys, got " + describe(document));
  }
  YAML::Node target = tree_;
  std::string path;
  if (!mount.empty()) {
    for (const auto& part : split_key_path(mount)) {
      if (!target[part].IsMap()) target[part] = YAML::Node(YAML::NodeType::Map);
      target.reset(target[part]);  // rebind; operator= would overwrite
      path = join_path(path, part);
    }
    origin_of_path_[path] = origin;
  }
  merge(target, document, origin, path);
}

void Config::load_file(const std::string& file, const std::string& mount) {
  std::ifstream in(file);
  if (!in) throw ConfigError(file + ": cannot open file (does it exist and is it readable?)");
  std::stringstream buffer;
  buffer << in.rdbuf();
  load_text(buffer.str(), file, mount);
}

void Config::apply_override(const std::string& assignment, const std::string& origin) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw ConfigError(origin + " " + assignment + ": expected key.path=value");
  }
  const std::string key_path = assignment.substr(0, equals);
  const std::string value_text = assignment.substr(equals + 1);
  const auto parts = split_key_path(key_path);
  for (const auto& part : parts) {
    if (part.empty()) {
      throw ConfigError("--set " + assignment + ": key path '" + key_path +
                        "' has an empty component");
    }
  }
  YAML::Node value;
  try {
    value = YAML::Load(value_text);
  } catch (const YAML::ParserException&) {
    value = YAML::Node(value_text);
  }
  if (!value.IsDefined() || value.IsNull()) value = YAML::Node(value_text);
  YAML::Node target = tree_;
  std::string path;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    path = join_path(path, parts[i]);
    YAML::Node next = target[parts[i]];
    if (next.IsDefined() && !next.IsNull() && !next.IsMap()) {
      throw ConfigError("--set: " + path + ": is " + describe(next) + ", so it has no key '" +
                        parts[i + 1] + "'");
    }
    if (!next.IsMap()) {
      // A map the override creates comes from it, so errors about it name the override.
      target[parts[i]] = YAML::Node(YAML::NodeType::Map);
      origin_of_path_[path] = origin;
      key_position_.erase(path);
    }
    target.reset(target[parts[i]]);
  }
  YAML::Node container(YAML::NodeType::Map);
  container[parts.back()] = value;
  merge(target, container, origin, path);
}

bool Config::has_path(const std::string& dotted_path) const {
  // Walk with const lookups only: a missing key must not create (or invalidate) nodes.
  std::function<bool(const YAML::Node&, const std::vector<std::string>&, std::size_t)> walk =
      [&](const YAML::Node& node, const std::vector<std::string>& parts, std::size_t i) {
        if (i == parts.size()) return node.IsDefined() && !node.IsNull();
        if (!node.IsMap()) return false;
        for (const auto& entry : node) {
          if (entry.first.Scalar() == parts[i]) return walk(entry.second, parts, i + 1);
        }
        return false;
      };
  return walk(tree_, split_key_path(dotted_path), 0);
}

void Config::remove_path(const std::string& dotted_path) {
  const auto parts = split_key_path(dotted_path);
  YAML::Node node = tree_;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!node.IsMap() || !node[parts[i]].IsMap()) return;
    node.reset(node[parts[i]]);
  }
  if (node.IsMap()) node.remove(parts.back());
}

void Config::check_node(const YAML::Node& node, const std::string& path) const {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      const std::string child_path = join_path(path, key);
      if (read_paths_.count(child_path) == 0) {
        std::string where;
        auto origin = origin_of_path_.find(child_path);
        where = origin != origin_of_path_.end() ? origin->second : "<config>";
        auto position = key_position_.find(child_path);
        if (position != key_position_.end()) {
          where += ":" + std::to_string(position->second.first) + ":" +
                   std::to_string(position->second.second);
        }
        std::string message = where + ": " + child_path + ": unknown key";
        auto known = known_keys_.find(path);
        if (known != known_keys_.end()) {
          const std::string suggestion = closest_match(key, known->second);
          if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
        }
        std::vector<std::string> choices =
            known != known_keys_.end() ? known->second : std::vector<std::string>{};
        std::sort(choices.begin(), choices.end());
        if (!choices.empty() && choices.size() <= 24) {
          std::string list;
          for (const auto& choice : choices) list += (list.empty() ? "" : ", ") + choice;
          message += "; expected one of: " + list;
        }
        throw ConfigError(message);
      }
      check_node(entry.second, child_path);
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      if (node[i].IsMap()) check_node(node[i], path + "[" + std::to_string(i) + "]");
    }
  }
}

void Config::check_all_read() const { check_node(tree_, ""); }

std::string Config::resolved_yaml() const {
  YAML::Emitter out;
  out << resolved_;
  return std::string(out.c_str()) + "\n";
}

}  // namespace sim
