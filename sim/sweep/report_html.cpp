#include "sim/sweep/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "sim/core/config.h"
#include "sim/sweep/results.h"

namespace fs = std::filesystem;

namespace sweep {

namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string fmt(double v) {
  char buffer[32];
  const double a = std::fabs(v);
  if (a != 0 && (a >= 1e6 || a < 1e-3)) {
    std::snprintf(buffer, sizeof(buffer), "%.3g", v);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.6g", v);
  }
  return buffer;
}

/// What the page needs of one row.
struct PointData {
  std::uint64_t point = 0;
  std::string status, reason;
  std::vector<std::string> params;
  std::vector<double> objectives;  // NaN when missing
  bool usable = false;             // ok with every objective numeric
  bool pareto = false;
  bool plotted = false;  // drawn in the plots (all, or a sample of big sweeps)
};

/// A numeric or categorical plot axis.
struct Scale {
  bool categorical = false;
  bool log = false;
  double lo = 0, hi = 1;
  std::vector<std::string> categories;
  double map(double v, double a, double b) const {
    double t;
    if (log) {
      t = (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    } else {
      t = (v - lo) / (hi - lo);
    }
    if (!std::isfinite(t)) t = 0.5;
    return a + t * (b - a);
  }
  double map_category(const std::string& c, double a, double b) const {
    const auto it = std::find(categories.begin(), categories.end(), c);
    const double i = static_cast<double>(it - categories.begin());
    return a + (i + 0.5) / static_cast<double>(categories.size()) * (b - a);
  }
};

Scale numeric_scale(const std::vector<double>& values, bool prefer_log) {
  Scale s;
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!std::isfinite(lo)) {
    lo = 0;
    hi = 1;
  }
  s.log = prefer_log && lo > 0;
  if (s.log) {
    if (hi / lo < 1.0001) {
      lo /= 2;
      hi *= 2;
    }
    s.lo = lo / 1.15;
    s.hi = hi * 1.15;
  } else {
    const double pad = hi > lo ? (hi - lo) * 0.06 : (lo != 0 ? std::fabs(lo) * 0.1 : 1);
    s.lo = lo - pad;
    s.hi = hi + pad;
  }
  return s;
}

std::vector<double> ticks(const Scale& s) {
  std::vector<double> out;
  if (s.log) {
    for (double p = std::floor(std::log10(s.lo)); p <= std::ceil(std::log10(s.hi)); p += 1) {
      const double v = std::pow(10, p);
      for (double m : {1.0, 2.0, 5.0}) {
        if (v * m >= s.lo && v * m <= s.hi) out.push_back(v * m);
      }
    }
    if (out.size() > 8) {
      std::vector<double> decades;
      for (double v : out) {
        const double l = std::log10(v);
        if (std::fabs(l - std::round(l)) < 1e-9) decades.push_back(v);
      }
      if (decades.size() >= 2) out = decades;
    }
    if (out.size() >= 2) return out;
    return {s.lo * 1.15, s.hi / 1.15};
  }
  const double span = s.hi - s.lo;
  const double raw = span / 5;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  for (double v = std::ceil(s.lo / step) * step; v <= s.hi + step * 1e-9; v += step) {
    out.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

constexpr double kWidth = 460, kHeight = 300;
constexpr double kLeft = 78, kRight = 14, kTop = 16, kBottom = 52;

struct PlotPoint {
  double x = 0, y = 0;
  std::string category;  // for a categorical x
  std::string title;
  bool highlight = false;
};

std::string svg_plot(const std::string& css_class, const std::string& x_label,
                     const std::string& y_label, const Scale& xs, const Scale& ys,
                     const std::vector<PlotPoint>& points, bool front_line) {
  std::ostringstream s;
  const double x0 = kLeft, x1 = kWidth - kRight, y0 = kHeight - kBottom, y1 = kTop;
  s << "<svg class=\"plot " << css_class << "\" xmlns=\"http://www.w3.org/2000/svg\" width=\""
    << kWidth << "\" height=\"" << kHeight << "\" viewBox=\"0 0 " << kWidth << " " << kHeight
    << "\" role=\"img\" aria-label=\"" << escape(y_label + " against " + x_label) << "\">\n";
  s << "<rect class=\"frame\" x=\"" << x0 << "\" y=\"" << y1 << "\" width=\"" << x1 - x0
    << "\" height=\"" << y0 - y1 << "\"/>\n";
  if (xs.categorical) {
    for (const auto& c : xs.categories) {
      const double x = xs.map_category(c, x0, x1);
      s << "<text class=\"tick\" x=\"" << x << "\" y=\"" << y0 + 16 << "\" text-anchor=\"middle\">"
        << escape(c) << "</text>\n";
    }
  } else {
    for (double t : ticks(xs)) {
      const double x = xs.map(t, x0, x1);
      s << "<line class=\"grid\" x1=\"" << x << "\" y1=\"" << y0 << "\" x2=\"" << x << "\" y2=\""
        << y1 << "\"/><text class=\"tick\" x=\"" << x << "\" y=\"" << y0 + 16
        << "\" text-anchor=\"middle\">" << fmt(t) << "</text>\n";
    }
  }
  for (double t : ticks(ys)) {
    const double y = ys.map(t, y0, y1);
    s << "<line class=\"grid\" x1=\"" << x0 << "\" y1=\"" << y << "\" x2=\"" << x1 << "\" y2=\""
      << y << "\"/><text class=\"tick\" x=\"" << x0 - 6 << "\" y=\"" << y + 4
      << "\" text-anchor=\"end\">" << fmt(t) << "</text>\n";
  }
  s << "<text class=\"label\" x=\"" << (x0 + x1) / 2 << "\" y=\"" << kHeight - 12
    << "\" text-anchor=\"middle\">" << escape(x_label) << (xs.log ? " (log)" : "") << "</text>\n";
  s << "<text class=\"label\" transform=\"translate(16," << (y0 + y1) / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << escape(y_label) << (ys.log ? " (log)" : "")
    << "</text>\n";
  if (front_line) {
    std::vector<std::pair<double, double>> front;
    for (const auto& p : points) {
      if (p.highlight) front.emplace_back(xs.map(p.x, x0, x1), ys.map(p.y, y0, y1));
    }
    std::sort(front.begin(), front.end());
    if (front.size() >= 2) {
      s << "<polyline class=\"front\" points=\"";
      for (const auto& [x, y] : front) s << x << "," << y << " ";
      s << "\"/>\n";
    }
  }
  // Ordinary points first, highlighted ones on top.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& p : points) {
      if (p.highlight != (pass == 1)) continue;
      const double x = xs.categorical ? xs.map_category(p.category, x0, x1) : xs.map(p.x, x0, x1);
      const double y = ys.map(p.y, y0, y1);
      s << "<circle class=\"pt" << (p.highlight ? " pareto" : "") << "\" cx=\"" << x << "\" cy=\""
        << y << "\" r=\"" << (p.highlight ? 4.5 : 3.5) << "\"><title>" << escape(p.title)
        << "</title></circle>\n";
    }
  }
  s << "</svg>\n";
  return s.str();
}

constexpr const char* kStyle = R"(body{font-family:system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}
.plots{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #ddd;padding:6px;background:#fff}
figcaption{font-size:13px;color:#444;margin-bottom:2px}
svg .frame{fill:#fcfcfc;stroke:#999}svg .grid{stroke:#e6e6e6}
svg .tick{font-size:10px;fill:#555}svg .label{font-size:12px;fill:#222}
svg .pt{fill:#4a78b5;fill-opacity:.65}svg .pt.pareto{fill:#d6452f;fill-opacity:1;stroke:#7a1d10}
svg .front{fill:none;stroke:#d6452f;stroke-width:1.5;stroke-dasharray:4 3}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f0f0f0}td.text{text-align:left}.muted{color:#666;font-size:13px}
)";

}  // namespace

std::string write_report(const std::string& dir, const std::string& out_file) {
  const SweepMeta meta = read_meta(dir + "/sweep.json");
  const std::string journal = dir + "/results.jsonl";
  if (!fs::exists(journal)) throw sim::ConfigError(journal + ": missing: run the sweep first");
  std::vector<PointData> data;
  std::map<std::string, std::uint64_t> status_count;
  scan_journal(journal, [&](std::uint64_t, Row&& row) {
    PointData d;
    d.point = row.point;
    d.status = row.status;
    d.reason = row.reason;
    for (const auto& key : meta.axis_keys) {
      std::string value;
      for (const auto& [k, v] : row.params) {
        if (k == key) value = v;
      }
      d.params.push_back(value);
    }
    std::vector<double> values;
    d.usable = objective_values(row, meta.objectives, values);
    d.objectives = d.usable ? values : std::vector<double>(meta.objectives.size(), NAN);
    ++status_count[row.status];
    data.push_back(std::move(d));
  });
  std::sort(data.begin(), data.end(),
            [](const PointData& a, const PointData& b) { return a.point < b.point; });
  // The front, built incrementally: O(points x front size).
  std::vector<PointData*> front;
  for (auto& d : data) {
    if (!d.usable) continue;
    bool dominated = false;
    for (const PointData* f : front) {
      if (dominates(f->objectives, d.objectives, meta.objectives)) {
        dominated = true;
        break;
      }
    }
    if (dominated) continue;
    front.erase(std::remove_if(front.begin(), front.end(),
                               [&](const PointData* f) {
                                 return dominates(d.objectives, f->objectives, meta.objectives);
                               }),
                front.end());
    front.push_back(&d);
  }
  for (PointData* f : front) f->pareto = true;
  // Big sweeps: the plots show every Pareto point and an even sample of the rest, so the page
  // stays light; the tables and CSV files keep everything.
  constexpr std::uint64_t kMaxPlotted = 5000;
  std::uint64_t usable_count = 0;
  for (const auto& d : data) usable_count += d.usable;
  const std::uint64_t stride =
      usable_count > kMaxPlotted ? (usable_count + kMaxPlotted - 1) / kMaxPlotted : 1;
  std::uint64_t ordinal = 0, plotted_count = 0;
  for (auto& d : data) {
    if (!d.usable) continue;
    d.plotted = d.pareto || ordinal++ % stride == 0;
    plotted_count += d.plotted;
  }
  const auto title_of = [&](const PointData& d) {
    std::string t = "point " + std::to_string(d.point);
    for (std::size_t a = 0; a < meta.axis_keys.size(); ++a) {
      t += "\n" + meta.axis_keys[a] + " = " + d.params[a];
    }
    for (std::size_t o = 0; o < meta.objectives.size(); ++o) {
      t += "\n" + meta.objectives[o].figure + " = " + fmt(d.objectives[o]);
    }
    return t;
  };
  const auto objective_label = [&](std::size_t o) {
    return meta.objectives[o].figure +
           (meta.objectives[o].minimize ? " (minimise)" : " (maximise)");
  };
  const auto prefer_log = [&](const std::vector<double>& v) {
    double lo = INFINITY, hi = 0;
    for (double x : v) {
      if (std::isfinite(x)) {
        lo = std::min(lo, x);
        hi = std::max(hi, x);
      }
    }
    return lo > 0 && hi / lo >= 50;
  };

  std::ostringstream html;
  std::uint64_t usable = 0, pareto = 0;
  for (const auto& d : data) {
    usable += d.usable;
    pareto += d.pareto;
  }
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>edgesim "
          "sweep report: "
       << escape(meta.sweep_file) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  html << "<h1>edgesim sweep: " << escape(meta.sweep_file) << "</h1>\n<p class=\"summary\">"
       << data.size() << " of " << meta.points << " points recorded";
  for (const auto& [status, count] : status_count) html << ", " << count << " " << escape(status);
  html << "; " << pareto << " on the Pareto front. Objectives: ";
  for (std::size_t o = 0; o < meta.objectives.size(); ++o) {
    html << (o ? ", " : "") << escape(objective_label(o));
  }
  if (meta.objectives.empty()) html << "none (add objectives: to the sweep file)";
  html << ".</p>\n";
  if (stride > 1) {
    html << "<p class=\"muted\">The plots show " << plotted_count << " of " << usable_count
         << " points: every Pareto point and one in " << stride << " of the others.</p>\n";
  }

  // Pareto scatter: each pair of objectives (the first pairs, at most three plots).
  if (meta.objectives.size() >= 2) {
    html << "<h2>Pareto front</h2>\n<div class=\"plots\" id=\"pareto\">\n";
    int plots = 0;
    for (std::size_t i = 0; i < meta.objectives.size() && plots < 3; ++i) {
      for (std::size_t j = i + 1; j < meta.objectives.size() && plots < 3; ++j, ++plots) {
        std::vector<double> xv, yv;
        std::vector<PlotPoint> points;
        for (const auto& d : data) {
          if (!d.plotted) continue;
          xv.push_back(d.objectives[i]);
          yv.push_back(d.objectives[j]);
          points.push_back({d.objectives[i], d.objectives[j], "", title_of(d), d.pareto});
        }
        html << "<figure><figcaption>" << escape(meta.objectives[j].figure) << " against "
             << escape(meta.objectives[i].figure) << "; red: non-dominated points</figcaption>\n"
             << svg_plot("pareto-plot", objective_label(i), objective_label(j),
                         numeric_scale(xv, prefer_log(xv)), numeric_scale(yv, prefer_log(yv)),
                         points, meta.objectives.size() == 2)
             << "</figure>\n";
      }
    }
    html << "</div>\n";
  }

  // Each objective against each swept key.
  if (!meta.objectives.empty()) {
    html << "<h2>Objectives against swept keys</h2>\n<div class=\"plots\" id=\"axes\">\n";
    for (std::size_t o = 0; o < meta.objectives.size(); ++o) {
      for (std::size_t a = 0; a < meta.axis_keys.size(); ++a) {
        std::vector<double> xv, yv;
        std::vector<PlotPoint> points;
        bool numeric = true;
        std::vector<std::string> categories;
        for (const auto& d : data) {
          if (!d.plotted) continue;
          double x = 0;
          if (!parse_number(d.params[a], x)) numeric = false;
          if (std::find(categories.begin(), categories.end(), d.params[a]) == categories.end()) {
            categories.push_back(d.params[a]);
          }
          xv.push_back(x);
          yv.push_back(d.objectives[o]);
          points.push_back({x, d.objectives[o], d.params[a], title_of(d), d.pareto});
        }
        Scale xs = numeric_scale(xv, meta.axis_log[a] || prefer_log(xv));
        if (!numeric) {
          xs = Scale{};
          xs.categorical = true;
          xs.categories = categories;
        }
        html << "<figure><figcaption>" << escape(meta.objectives[o].figure) << " against "
             << escape(meta.axis_keys[a]) << "</figcaption>\n"
             << svg_plot("axis-plot", meta.axis_keys[a], objective_label(o), xs,
                         numeric_scale(yv, prefer_log(yv)), points, false)
             << "</figure>\n";
      }
    }
    html << "</div>\n";
  }

  // Best points: the non-dominated ones, by the first objective.
  std::vector<const PointData*> best;
  for (const auto& d : data) {
    if (d.pareto) best.push_back(&d);
  }
  std::sort(best.begin(), best.end(), [&](const PointData* a, const PointData* b) {
    const bool min = meta.objectives.front().minimize;
    return min ? a->objectives[0] < b->objectives[0] : a->objectives[0] > b->objectives[0];
  });
  html << "<h2>Best points</h2>\n";
  if (best.empty()) {
    html << "<p class=\"muted\">No feasible point with every objective.</p>\n";
  } else {
    html << "<table id=\"best\">\n<tr><th>point</th>";
    for (const auto& key : meta.axis_keys) html << "<th>" << escape(key) << "</th>";
    for (std::size_t o = 0; o < meta.objectives.size(); ++o) {
      html << "<th>" << escape(objective_label(o)) << "</th>";
    }
    html << "</tr>\n";
    for (std::size_t i = 0; i < best.size() && i < 50; ++i) {
      html << "<tr><td>" << best[i]->point << "</td>";
      for (const auto& v : best[i]->params) html << "<td class=\"text\">" << escape(v) << "</td>";
      for (double v : best[i]->objectives) html << "<td>" << fmt(v) << "</td>";
      html << "</tr>\n";
    }
    html << "</table>\n";
    if (best.size() > 50)
      html << "<p class=\"muted\">" << best.size() - 50 << " more in pareto.csv</p>\n";
  }

  std::vector<const PointData*> failed;
  for (const auto& d : data) {
    if (d.status != "ok") failed.push_back(&d);
  }
  if (!failed.empty()) {
    html << "<h2>Points without results</h2>\n<table id=\"failed\">\n<tr><th>point</th>"
            "<th>status</th><th>reason</th></tr>\n";
    for (std::size_t i = 0; i < failed.size() && i < 100; ++i) {
      html << "<tr><td>" << failed[i]->point << "</td><td class=\"text\">"
           << escape(failed[i]->status) << "</td><td class=\"text\">" << escape(failed[i]->reason)
           << "</td></tr>\n";
    }
    html << "</table>\n";
  }
  html << "<p class=\"muted\">Data: results.csv, results.jsonl and pareto.csv beside this page. "
          "Generated by edgesim "
       << EDGESIM_VERSION << ".</p>\n</body>\n</html>\n";
  const std::string path = out_file.empty() ? dir + "/report.html" : out_file;
  write_file_atomic(path, html.str());
  return path;
}

}  // namespace sweep
