// edgesim report: the sweep page loads in headless Chromium (Debian's chromium package) with
// its SVG plots and their points; a screenshot is kept as a test artefact.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "cli_harness.h"
#include "sweep_test_util.h"

namespace fs = std::filesystem;

namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::string find_chromium() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (fs::exists(candidate)) return candidate;
  }
  return "";
}

/// Runs headless Chromium with a fresh profile and no network; returns its exit status.
int chromium(const std::string& binary, const std::string& profile, const std::string& args,
             const std::string& stdout_file) {
  const std::string command =
      "timeout 60 '" + binary +
      "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--user-data-dir='" +
      profile + "' " + args + " >'" + stdout_file + "' 2>/dev/null";
  return std::system(command.c_str());
}

TEST(SweepReport, PageRendersItsPlotsInHeadlessChromium) {
  const std::string browser = find_chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (apt-get install chromium)";
  const std::string dir = e2e::make_temp_dir("edgesim-report");
  e2e::write_file(dir + "/sweep.yaml", e2e::small_sweep());
  const auto sweep =
      e2e::run_edgesim("sweep '" + dir + "/sweep.yaml' --no-progress --out '" + dir + "/out'");
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  const auto report = e2e::run_edgesim("report '" + dir + "/out'");
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const std::string page = dir + "/out/report.html";
  ASSERT_TRUE(fs::exists(page));

  ASSERT_EQ(chromium(browser, dir + "/profile-dom", "--dump-dom 'file://" + page + "'",
                     dir + "/dom.html"),
            0);
  const std::string dom = e2e::read_file(dir + "/dom.html");
  // 4 points, 2 objectives, 3 swept keys: one Pareto plot and 2 x 3 objective plots.
  EXPECT_EQ(count_of(dom, "<svg class=\"plot pareto-plot\""), 1u) << dom.substr(0, 2000);
  EXPECT_EQ(count_of(dom, "<svg class=\"plot axis-plot\""), 6u);
  EXPECT_EQ(count_of(dom, "<circle class=\"pt"), 7u * 4u);
  EXPECT_GE(count_of(dom, "<circle class=\"pt pareto\""), 2u * 7u);
  EXPECT_EQ(count_of(dom, "<polyline class=\"front\""), 1u);
  EXPECT_NE(dom.find("<table id=\"best\">"), std::string::npos);

  // The screenshot, kept where ctest runs (or in $EDGESIM_TEST_ARTIFACTS).
  const char* artifacts_env = std::getenv("EDGESIM_TEST_ARTIFACTS");
  const std::string artifacts = artifacts_env ? artifacts_env : "test-artifacts";
  fs::create_directories(artifacts);
  const std::string shot = fs::absolute(artifacts + "/sweep_report.png").string();
  fs::remove(shot);
  ASSERT_EQ(chromium(browser, dir + "/profile-shot",
                     "--window-size=1200,1600 --screenshot='" + shot + "' 'file://" + page + "'",
                     dir + "/shot.log"),
            0);
  ASSERT_TRUE(fs::exists(shot));
  EXPECT_GT(fs::file_size(shot), 20000u) << "a page with plots compresses to more than a blank one";
  fs::remove_all(dir);
}

}  // namespace
