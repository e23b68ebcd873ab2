// Unit tests of the review views of a batch: the HTML gallery (escaping, links, placeholders,
// the grid's order), its loss curves, and the contact sheet. Nothing here runs the network.
#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "nst/engine/error.h"
#include "nst/report/batch_grid.h"
#include "nst/report/contact_sheet.h"
#include "nst/report/gallery.h"
#include "nst/report/html_text.h"
#include "nst/report/loss_curve.h"
#include "nst/report/thumbnail.h"
#include "test_images.h"

namespace nst {
namespace {
namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_TRUE(contains(text, part)) << "expected '" << (part) << "' in:\n" << (text)
#define EXPECT_LACKS(text, part) \
  EXPECT_FALSE(contains(text, part)) << "did not expect '" << (part) << "' in:\n" << (text)

// Runs `action`, expecting an nst::Error with `code` whose message names `path`.
template <typename Action>
void expect_error_naming(Action action, ErrorCode code, const std::string& path) {
  try {
    action();
    ADD_FAILURE() << "no nst::Error thrown";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), code) << error.what();
    EXPECT_CONTAINS(std::string(error.what()), "'" + path + "'");
  }
}

// The line of `page` that holds the grid cell at (`row`, `column`): each cell is one line.
std::string cell_of(const std::string& page, size_t row, size_t column) {
  const std::string key =
      "data-row=\"" + std::to_string(row) + "\" data-column=\"" + std::to_string(column) + "\"";
  const size_t at = page.find(key);
  if (at == std::string::npos) return {};
  const size_t begin = page.rfind('\n', at) + 1;
  return page.substr(begin, page.find('\n', at) - begin);
}

// Every value of `attribute` in `page`, in order.
Strings attribute_values(const std::string& page, const std::string& attribute) {
  Strings values;
  const std::string key = attribute + "=\"";
  for (size_t at = page.find(key); at != std::string::npos; at = page.find(key, at + 1)) {
    const size_t begin = at + key.size();
    values.push_back(page.substr(begin, page.find('"', begin) - begin));
  }
  return values;
}

RunInfo some_run() {
  RunInfo run;
  run.tool_version = "9.9.9";
  run.model_path = "models/vgg19.pt";
  run.device = "cpu";
  run.started_at = "2026-01-02T03:04:05Z";
  run.seconds = 75;
  run.status = "failed";
  run.exit_code = 2;
  run.options = StyleTransferOptions::preset("fast");
  return run;
}

JobResult job(const std::string& content, const std::string& style, const std::string& output) {
  JobResult r;
  r.job.content = content;
  r.job.style = style;
  r.job.output = output;
  return r;
}

// A finished job whose output is written at `output`.
JobResult done(const std::string& content, const std::string& style, const std::string& output) {
  JobResult r = job(content, style, output);
  test::write_image(output, test::stripes_image(48, 32));
  r.status = JobStatus::kDone;
  r.written = output;
  r.seconds = 3.25;
  r.iterations = 30;
  r.scales.push_back({48, 32, 30, 1.5e5, 12.5, 3.25e6});
  r.losses = {{10, 9e5, 40, 8e7}, {20, 3e5, 20, 2e7}, {30, 1.5e5, 12.5, 3.25e6}};
  return r;
}

JobResult failed(const std::string& content, const std::string& style, const std::string& reason) {
  JobResult r = job(content, style, "out/never.png");
  r.status = JobStatus::kFailed;
  r.reason = reason;
  return r;
}

class Gallery : public testing::Test {
 protected:
  std::string file(const std::string& name) const { return dir_.file(name); }
  test::TempDir dir_;
};

TEST(HtmlText, EscapesMarkupQuotesAndBytesThatAreNotUtf8) {
  EXPECT_EQ(html_escape("<a href=\"x\">&'b</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;b&lt;/a&gt;");
  // Each bad byte becomes U+FFFD, as in the report; valid UTF-8 stays.
  EXPECT_EQ(html_escape("a\xff\xfe.png"), "a\xef\xbf\xbd\xef\xbf\xbd.png");
  EXPECT_EQ(html_escape("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(html_escape(std::string("x\x01y\tz", 5)), "x\xef\xbf\xbdy\tz");
}

TEST(HtmlText, LinksArePercentEncodedAndRelativeToThePage) {
  EXPECT_EQ(percent_encode_path("a b#1?%&\"<.png"), "a%20b%231%3F%25%26%22%3C.png");
  EXPECT_EQ(percent_encode_path("dir/x\xff.png"), "dir/x%FF.png");
  EXPECT_EQ(percent_encode_path("c:d.png"), "c%3Ad.png");  // not a URL scheme
  EXPECT_EQ(relative_link("out/a b.png", "out/gallery.html"), "a%20b.png");
  EXPECT_EQ(relative_link("out/sub/x.png", "pages/g.html"), "../out/sub/x.png");
  EXPECT_EQ(relative_link("./out//x.png", "out/../out/g.html"), "x.png");
  EXPECT_EQ(relative_link("/data/x.png", "/srv/www/g.html"), "../../data/x.png");
}

TEST(BatchGrid, ContentsAreRowsAndStylesColumnsInTheBatchOrder) {
  std::vector<JobResult> jobs;
  for (const char* content : {"in/zeta.png", "in/alpha.png"}) {
    for (const char* style : {"st/y.png", "st/x.png"}) jobs.push_back(job(content, style, "o"));
  }
  jobs.erase(jobs.begin() + 1);  // another shard's job
  const BatchGrid grid = batch_grid(jobs);
  EXPECT_EQ(grid.rows, (Strings{"in/zeta.png", "in/alpha.png"}));
  EXPECT_EQ(grid.columns, (Strings{"st/y.png", "st/x.png"}));
  EXPECT_EQ(grid.row_labels, (Strings{"zeta.png", "alpha.png"}));
  ASSERT_EQ(grid.cells.size(), 2u);
  EXPECT_EQ(grid.cells[0], (std::vector<size_t>{0, BatchGrid::kNoJob}));
  EXPECT_EQ(grid.cells[1], (std::vector<size_t>{1, 2}));
}

TEST(BatchGrid, NamesTellEqualFileNamesApart) {
  EXPECT_EQ(short_labels({"a/x.png", "b/x.png", "c/y.png", "a/x.png", "-"}),
            (Strings{"a/x.png", "b/x.png", "y.png", "a/x.png", "stdin"}));
  EXPECT_EQ(short_labels({"p/a/x.png", "q/a/x.png"}), (Strings{"p/a/x.png", "q/a/x.png"}));
  // Two jobs for one cell (not what plan_jobs makes) still both get one.
  const BatchGrid grid = batch_grid({job("c.png", "s.png", "1"), job("c.png", "s.png", "2")});
  EXPECT_EQ(grid.rows, (Strings{"c.png", "c.png"}));
  EXPECT_EQ(grid.cells, (std::vector<std::vector<size_t>>{{0}, {1}}));
}

TEST_F(Gallery, GridRowsAndColumnsFollowTheBatch) {
  std::vector<JobResult> jobs;
  for (const std::string content : {"zeta.png", "alpha.png"}) {
    for (const std::string style : {"y.png", "x.png"}) {
      jobs.push_back(job(file(content), file(style), file(content + style)));
    }
  }
  jobs[3].status = JobStatus::kSkipped;  // its output does not exist: a placeholder
  const std::string page = gallery_html(some_run(), jobs, file("gallery.html"));
  EXPECT_EQ(attribute_values(page, "data-rows"), Strings{"2"});
  EXPECT_EQ(attribute_values(page, "data-columns"), Strings{"2"});
  // Headers, then each row's head and cells: the page's order is the grid's.
  const size_t y = page.find(">y.png<"), x = page.find(">x.png<");
  const size_t zeta = page.find(">zeta.png<"), alpha = page.find(">alpha.png<");
  ASSERT_NE(alpha, std::string::npos) << page;
  EXPECT_LT(y, x);
  EXPECT_LT(x, zeta);
  EXPECT_LT(zeta, alpha);
  EXPECT_EQ(attribute_values(page, "data-row"), (Strings{"0", "0", "0", "1", "1", "1"}));
  EXPECT_EQ(attribute_values(page, "data-column"), (Strings{"0", "1", "0", "1", "0", "1"}));
  EXPECT_EQ(attribute_values(page, "data-status"),
            (Strings{"pending", "pending", "pending", "skipped"}));
}

TEST_F(Gallery, NamesAreEscapedAndBadBytesReplaced) {
  const std::string content = file("a<b>&\"c\xff.png");
  test::write_image(content, test::gradient_image(40, 30));
  const std::string page =
      gallery_html(some_run(), {done(content, file("s.png"), file("o.png"))}, file("g.html"));
  EXPECT_CONTAINS(page, "a&lt;b&gt;&amp;&quot;c\xef\xbf\xbd.png");
  EXPECT_LACKS(page, "a<b>");
  EXPECT_LACKS(page, "\xff");
  EXPECT_EQ(valid_utf8(page), page);
  // No resource outside the page.
  EXPECT_LACKS(page, "://");
  EXPECT_LACKS(page, "<script");
  EXPECT_LACKS(page, "src=\"file");
  for (const auto& source : attribute_values(page, "src")) {
    EXPECT_EQ(source.rfind("data:image/jpeg;base64,", 0), 0u) << source.substr(0, 40);
  }
}

TEST_F(Gallery, CellsLinkToTheirPicturesByEncodedRelativePaths) {
  fs::create_directories(file("out dir"));
  const std::string output = file("out dir/a b#%\xff.png");
  const std::string page = gallery_html(some_run(), {done(file("c.png"), file("s.png"), output)},
                                        file("pages/gallery.html"));
  const std::string cell = cell_of(page, 0, 0);
  EXPECT_CONTAINS(cell, "<a href=\"../out%20dir/a%20b%23%25%FF.png\"");
  EXPECT_CONTAINS(cell, "<img src=\"data:image/jpeg;base64,");
  // The picture is small: its long side is a thumbnail's.
  EXPECT_CONTAINS(cell, "width=\"160\" height=\"107\"");
  EXPECT_CONTAINS(cell, "3.2 s");  // time
  EXPECT_CONTAINS(cell, "loss 1.5e+05");
  EXPECT_CONTAINS(cell, "<svg class=\"curve\"");
}

TEST_F(Gallery, FailedJobShowsItsReasonAndAPlaceholder) {
  std::vector<JobResult> jobs = {
      failed(file("c.png"), file("s.png"), "cannot read image 's.png': <corrupt> & \"bad\""),
      done(file("c.png"), file("t.png"), file("gone.png"))};
  fs::remove(file("gone.png"));  // written, then removed before the page was made
  const std::string page = gallery_html(some_run(), jobs, file("g.html"));
  const std::string bad = cell_of(page, 0, 0);
  EXPECT_CONTAINS(bad, "st-failed");
  EXPECT_CONTAINS(bad, "cannot read image &#39;s.png&#39;: &lt;corrupt&gt; &amp; &quot;bad&quot;");
  EXPECT_CONTAINS(bad, "class=\"ph\"");
  EXPECT_CONTAINS(bad, "failed: nothing written");
  EXPECT_LACKS(bad, "<img");
  // A file that cannot be read is a placeholder too, never a broken picture.
  const std::string gone = cell_of(page, 0, 1);
  EXPECT_CONTAINS(gone, "cannot read the picture");
  EXPECT_LACKS(gone, "<img");
}

TEST_F(Gallery, SkippedJobShowsTheExistingOutput) {
  JobResult skipped = job(file("c.png"), file("s.png"), file("old.png"));
  test::write_image(file("old.png"), test::gradient_image(64, 64));
  skipped.status = JobStatus::kSkipped;
  skipped.reason = "output exists";
  const std::string cell = cell_of(gallery_html(some_run(), {skipped}, file("g.html")), 0, 0);
  EXPECT_CONTAINS(cell, "<a href=\"old.png\"");
  EXPECT_CONTAINS(cell, "width=\"160\" height=\"160\"");
  EXPECT_CONTAINS(cell, "output exists");
}

TEST_F(Gallery, NoTimeLeftMeansPlaceholders) {
  const std::string page = gallery_html(
      some_run(), {done(file("c.png"), file("s.png"), file("o.png"))}, file("g.html"), 0);
  EXPECT_LACKS(page, "<img");
  EXPECT_CONTAINS(cell_of(page, 0, 0), "left out");
}

TEST_F(Gallery, SettingsAndBlends) {
  RunInfo run = some_run();
  run.shard = "1/4";
  run.error = "stopped <at once>";
  JobResult blend = job(file("c.png"), "x+y", file("o.png"));
  blend.job.blend = {file("x.png"), file("y.png")};
  blend.job.blend_weights = {0.7, 0.3};
  test::write_image(file("x.png"), test::stripes_image(32, 32));
  const std::string page = gallery_html(run, {blend}, file("g.html"));
  for (const char* text : {"nst 9.9.9", "models/vgg19.pt", "1/4", "failed (exit code 2)",
                           "2026-01-02T03:04:05Z", "1:15", "stopped &lt;at once&gt;",
                           ">iterations<", ">content_layers<", "x.png 0.7", "y.png 0.3"}) {
    EXPECT_CONTAINS(page, text);
  }
  // The blend's readable part is shown; the missing one is named, not a broken picture.
  EXPECT_EQ(attribute_values(page, "src").size(), 1u);
}

TEST(LossCurve, LogScalePolylineOfTheFiniteLosses) {
  const std::string svg =
      loss_curve_svg({{1, 1e6, 0, 0}, {2, 1e4, 0, 0}, {3, -1, 0, 0}, {4, 1e2, 0, 0}}, 100, 40);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u) << svg;
  // Equal steps on a log scale: 1e6, 1e4, 1e2 fall by the same height; x spans 1..4.
  EXPECT_CONTAINS(svg, "points=\"3.0,3.0 34.3,20.0 97.0,37.0\"");
  EXPECT_CONTAINS(svg, "<title>loss 1e+06 at iteration 1, 100 at 4");
  EXPECT_EQ(loss_curve_svg({{1, 5, 0, 0}}, 100, 40), "");
  EXPECT_EQ(loss_curve_svg({}, 100, 40), "");
}

TEST(Thumbnail, SmallJpegDataUris) {
  const cv::Mat picture = test::stripes_image(160, 120);
  const std::string uri = jpeg_data_uri(picture);
  EXPECT_EQ(uri.rfind("data:image/jpeg;base64,/9j/", 0), 0u);
  EXPECT_LT(uri.size(), 16000u);
  EXPECT_EQ(base64("Ma"), "TWE=");
  EXPECT_EQ(base64("Man"), "TWFu");
  EXPECT_EQ(base64(std::string("\xff\xfe\x00", 3)), "//4A");
  EXPECT_TRUE(read_thumbnail("-", 160, 0).empty());  // standard input is never consumed
  EXPECT_TRUE(read_thumbnail("/nonexistent.png", 160, 0).empty());
}

TEST_F(Gallery, WritingNamesTheFileOnFailure) {
  expect_error_naming([&] { check_gallery_path(file("no/such/g.html")); }, ErrorCode::kReportWrite,
                      file("no/such/g.html"));
  expect_error_naming([&] { write_gallery(file("no/such/g.html"), some_run(), {}); },
                      ErrorCode::kReportWrite, file("no/such/g.html"));
  write_gallery(file("g.html"), some_run(), {});
  EXPECT_CONTAINS(test::read_bytes(file("g.html")), "<!DOCTYPE html>");
  EXPECT_CONTAINS(test::read_bytes(file("g.html")), "No jobs");  // a run that ended early
  EXPECT_EQ(test::list_folder(dir_.path()), Strings{"g.html"});  // no temporary file
}

TEST_F(Gallery, ContactSheetIsTheGridAsOnePicture) {
  // Names that are not ASCII, or not even UTF-8, are drawn with '?'.
  const std::string a = file("a\xff\xc3\xa9 <&>.png");
  const std::vector<JobResult> jobs = {done(a, file("x.png"), file("a_x.png")),
                                       failed(a, file("y.png"), "cannot read image 'y.png'"),
                                       done(file("b.png"), file("x.png"), file("b_x.png")),
                                       done(file("b.png"), file("y.png"), file("b_y.png"))};
  const cv::Mat sheet = contact_sheet(some_run(), jobs);
  EXPECT_EQ(sheet.size(), ContactSheetLayout::size(2, 2));
  EXPECT_EQ(sheet.size(), cv::Size(2 * 8 + 170 + 2 * 170, 2 * 8 + 146 + 2 * 214));
  // A done cell holds its picture; a failed one is grey with its status; two done cells with
  // the same picture look the same.
  const cv::Mat done_cell = sheet(ContactSheetLayout::cell(0, 0));
  const cv::Mat failed_cell = sheet(ContactSheetLayout::cell(0, 1));
  const cv::Mat other_done = sheet(ContactSheetLayout::cell(1, 0));
  EXPECT_GT(cv::norm(done_cell, failed_cell, cv::NORM_L1) / done_cell.total(), 20.0);
  EXPECT_EQ(cv::norm(done_cell, other_done, cv::NORM_INF), 0.0);
  // The status bar is the status's colour.
  const Rgb red = status_colour(JobStatus::kFailed);
  const cv::Vec3b bar = failed_cell.at<cv::Vec3b>(ContactSheetLayout::kGutter + 2, 80);
  EXPECT_EQ(bar, cv::Vec3b(red.b, red.g, red.r));

  write_contact_sheet(file("sheet.png"), some_run(), jobs);
  const cv::Mat written = cv::imread(file("sheet.png"), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(written.size(), sheet.size());
  EXPECT_EQ(cv::norm(written, sheet, cv::NORM_INF), 0.0);
  write_contact_sheet(file("sheet.JPG"), some_run(), jobs);
  EXPECT_EQ(test::read_bytes(file("sheet.JPG")).rfind("\xff\xd8\xff", 0), 0u);
}

TEST_F(Gallery, ContactSheetRefusesWhatItCannotWrite) {
  for (const auto& name : {file("sheet.gif"), file("sheet"), file("no/such/sheet.png")}) {
    expect_error_naming([&] { check_contact_sheet_path(name); }, ErrorCode::kImageWrite, name);
  }
  expect_error_naming([&] { write_contact_sheet(file("sheet.gif"), some_run(), {}); },
                      ErrorCode::kImageWrite, file("sheet.gif"));
  check_contact_sheet_path(file("sheet.webp"));
}

}  // namespace
}  // namespace nst
