// Unit tests of batch planning (inputs, jobs, shards, derived file names) and of the report's
// structure; nothing here runs the network.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "nst/batch/batch.h"
#include "nst/batch/runner.h"
#include "nst/engine/error.h"
#include "nst/report/report.h"
#include "test_helpers.h"

namespace nst {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using Strings = std::vector<std::string>;

// Runs `action`, expecting an nst::Error with `code` whose message contains every one of
// `mentions`.
template <typename Action>
void expect_error(Action action, ErrorCode code, const Strings& mentions) {
  try {
    action();
    ADD_FAILURE() << "no nst::Error thrown";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), code) << error.what();
    for (const auto& mention : mentions) {
      EXPECT_NE(std::string(error.what()).find(mention), std::string::npos)
          << "expected '" << mention << "' in: " << error.what();
    }
  }
}

class Inputs : public testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "sub");
    // Created out of order: the listing must not depend on the order of creation.
    for (const char* name : {"c.png", "a.jpg", "b.png", "notes.txt", "sub/d.png"}) {
      test::write_bytes(file(name), "not decoded by expand_inputs");
    }
  }

  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  test::TempDir temp_;
  fs::path dir_ = temp_.path() / "images";
};

TEST(HasImageExtension, KnowsImageFormatsInAnyCase) {
  for (const char* name : {"a.png", "a.jpg", "a.JPG", "a.jpeg", "x/a.webp", "a.tiff", "a.bmp"}) {
    EXPECT_TRUE(has_image_extension(name)) << name;
  }
  for (const char* name : {"notes.txt", "png", "a.png.gz", "folder/noext", "a."}) {
    EXPECT_FALSE(has_image_extension(name)) << name;
  }
}

TEST_F(Inputs, FolderGivesItsImagesByNameAndNotesTheRest) {
  const InputFiles found = expand_inputs({dir_.string()}, false);
  EXPECT_EQ(found.files, (Strings{file("a.jpg"), file("b.png"), file("c.png")}));
  ASSERT_EQ(found.notes.size(), 2u);
  EXPECT_NE(found.notes[0].find(file("notes.txt")), std::string::npos) << found.notes[0];
  EXPECT_NE(found.notes[1].find(file("sub")), std::string::npos) << found.notes[1];
  EXPECT_NE(found.notes[1].find("--recursive"), std::string::npos) << found.notes[1];
}

TEST_F(Inputs, RecursiveDescendsIntoSubFolders) {
  const InputFiles found = expand_inputs({dir_.string()}, true);
  EXPECT_EQ(found.files, (Strings{file("a.jpg"), file("b.png"), file("c.png"), file("sub/d.png")}));
  ASSERT_EQ(found.notes.size(), 1u);
  EXPECT_NE(found.notes[0].find("notes.txt"), std::string::npos) << found.notes[0];
}

TEST_F(Inputs, GlobMatchesSorted) {
  EXPECT_EQ(expand_inputs({file("*.png")}, false).files, (Strings{file("b.png"), file("c.png")}));
  EXPECT_EQ(expand_inputs({file("[ab].*")}, false).files, (Strings{file("a.jpg"), file("b.png")}));
  const InputFiles all = expand_inputs({file("*")}, false);
  EXPECT_EQ(all.files, (Strings{file("a.jpg"), file("b.png"), file("c.png")}));
  EXPECT_EQ(all.notes.size(), 2u);  // notes.txt and sub
}

TEST_F(Inputs, FilesKeepTheOrderGivenAndAnyExtension) {
  const InputFiles found = expand_inputs({file("c.png"), file("notes.txt"), file("a.jpg")}, false);
  EXPECT_EQ(found.files, (Strings{file("c.png"), file("notes.txt"), file("a.jpg")}));
  EXPECT_TRUE(found.notes.empty());
}

TEST_F(Inputs, DuplicatesAreListedOnce) {
  const InputFiles found =
      expand_inputs({file("b.png"), dir_.string(), (dir_ / "." / "c.png").string()}, false);
  EXPECT_EQ(found.files, (Strings{file("b.png"), file("a.jpg"), file("c.png")}));
}

// A folder or pattern whose images were all listed already still matched images.
TEST_F(Inputs, FolderOrGlobRepeatingListedFilesIsNotAnError) {
  const Strings all = {file("a.jpg"), file("b.png"), file("c.png")};
  EXPECT_NO_THROW(EXPECT_EQ(expand_inputs({dir_.string(), file("*.png")}, false).files, all));
  EXPECT_NO_THROW(EXPECT_EQ(expand_inputs({dir_.string(), dir_.string()}, false).files, all));
}

TEST_F(Inputs, MissingPathIsAnError) {
  const std::string missing = file("missing.png");
  expect_error(
      [&] {
        expand_inputs({file("a.jpg"), missing}, false);
      },
      ErrorCode::kImageRead, {missing});
}

TEST_F(Inputs, GlobMatchingNothingIsAnError) {
  const std::string pattern = file("*.webp");
  expect_error([&] { expand_inputs({pattern}, false); }, ErrorCode::kImageRead, {pattern});
}

TEST_F(Inputs, FolderWithoutImagesIsAnError) {
  const fs::path empty = temp_.path() / "empty";
  fs::create_directory(empty);
  expect_error([&] { expand_inputs({empty.string()}, false); }, ErrorCode::kImageRead,
               {empty.string()});
  // Images only in a sub-folder count only with `recursive`.
  const fs::path nested = temp_.path() / "nested";
  fs::create_directories(nested / "inner");
  test::write_bytes((nested / "inner" / "x.png").string(), "image");
  expect_error([&] { expand_inputs({nested.string()}, false); }, ErrorCode::kImageRead,
               {nested.string()});
  EXPECT_EQ(expand_inputs({nested.string()}, true).files,
            Strings{(nested / "inner" / "x.png").string()});
  const fs::path text_only = temp_.path() / "text";
  fs::create_directory(text_only);
  test::write_bytes((text_only / "readme.txt").string(), "text");
  expect_error([&] { expand_inputs({text_only.string()}, false); }, ErrorCode::kImageRead,
               {text_only.string()});
}

class Plan : public testing::Test {
 protected:
  std::string path(const std::string& name) const { return (temp_.path() / name).string(); }

  test::TempDir temp_;
};

TEST_F(Plan, PairsEveryContentWithEveryStyleContentMajor) {
  const Strings contents = {path("in/c1.png"), path("in/c2.jpg"), path("in/c3.png")};
  const Strings styles = {path("st/s1.png"), path("st/s2.png")};
  const auto jobs = plan_jobs(contents, styles, path("out") + "/");
  ASSERT_EQ(jobs.size(), 6u);
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(jobs[i].index, i);
    EXPECT_EQ(jobs[i].content, contents[i / 2]);
    EXPECT_EQ(jobs[i].style, styles[i % 2]);
  }
  EXPECT_EQ(jobs[0].output, path("out/c1_s1.png"));
  EXPECT_EQ(jobs[1].output, path("out/c1_s2.png"));
  EXPECT_EQ(jobs[3].output, path("out/c2_s2.png"));  // always .png, whatever the content's format
  EXPECT_EQ(jobs[5].output, path("out/c3_s2.png"));
}

TEST_F(Plan, OneJobWritesTheNamedFile) {
  const auto jobs = plan_jobs({path("a.png")}, {path("s.png")}, path("result.jpg"));
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].output, path("result.jpg"));
  EXPECT_EQ(jobs[0].index, 0u);
}

TEST_F(Plan, OneJobIntoAFolder) {
  fs::create_directory(path("existing"));
  EXPECT_EQ(plan_jobs({path("a.png")}, {path("s.png")}, path("existing"))[0].output,
            path("existing/a_s.png"));
  EXPECT_EQ(plan_jobs({path("a.png")}, {path("s.png")}, path("new") + "/")[0].output,
            path("new/a_s.png"));
}

TEST_F(Plan, SeveralJobsIntoAFolderNamedWithoutExtension) {
  const auto jobs = plan_jobs({path("a.png"), path("b.png")}, {path("s.png")}, path("results"));
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].output, path("results/a_s.png"));
  EXPECT_EQ(jobs[1].output, path("results/b_s.png"));
}

TEST_F(Plan, OneFileForSeveralJobsIsRefused) {
  const std::string output = path("x.png");
  expect_error(
      [&] {
        plan_jobs({path("a.png"), path("b.png")}, {path("s.png")}, output);
      },
      ErrorCode::kInvalidOptions, {output, "2 jobs", "folder", "template"});
}

TEST_F(Plan, TemplatePlaceholders) {
  const auto jobs =
      plan_jobs({path("in/a.jpg"), path("in/b.png")}, {path("st/wave.png"), path("st/night.jpg")},
                path("out/{style}/{index}_{content}.{ext}"));
  ASSERT_EQ(jobs.size(), 4u);
  EXPECT_EQ(jobs[0].output, path("out/wave/0_a.jpg"));
  EXPECT_EQ(jobs[1].output, path("out/night/1_a.jpg"));
  EXPECT_EQ(jobs[2].output, path("out/wave/2_b.png"));
  EXPECT_EQ(jobs[3].output, path("out/night/3_b.png"));
}

TEST_F(Plan, TemplateAppliesToASingleJob) {
  const auto jobs = plan_jobs({path("a.png")}, {path("s.png")}, path("{content}-{style}.png"));
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].output, path("a-s.png"));
}

TEST_F(Plan, IndexIsZeroPaddedToACommonWidth) {
  Strings contents;
  for (int i = 0; i < 11; ++i) contents.push_back(path("c" + std::to_string(i) + ".png"));
  const auto eleven = plan_jobs(contents, {path("s.png")}, path("{index}.png"));
  ASSERT_EQ(eleven.size(), 11u);
  EXPECT_EQ(eleven[0].output, path("00.png"));
  EXPECT_EQ(eleven[9].output, path("09.png"));
  EXPECT_EQ(eleven[10].output, path("10.png"));

  contents.resize(10);
  const auto ten = plan_jobs(contents, {path("s.png")}, path("{index}.png"));
  EXPECT_EQ(ten[0].output, path("0.png"));
  EXPECT_EQ(ten[9].output, path("9.png"));
}

TEST_F(Plan, TwoJobsWritingOneFileAreRefused) {
  const std::string first = path("one/a.png"), second = path("two/a.png");
  expect_error(
      [&] {
        plan_jobs({first, second}, {path("s.png")}, path("out/{content}.png"));
      },
      ErrorCode::kInvalidOptions,
      {first, second, "would both write", path("out/a.png"), "{index}"});
  // Same stems in a folder collide too; the template with {index} does not.
  expect_error(
      [&] {
        plan_jobs({first, second}, {path("s.png")}, path("out"));
      },
      ErrorCode::kInvalidOptions, {"would both write"});
  EXPECT_EQ(plan_jobs({first, second}, {path("s.png")}, path("out/{index}_{content}.png")).size(),
            2u);
}

TEST_F(Plan, OutputOverwritingAnInputIsRefused) {
  const std::string content = path("in/a.png"), style = path("in/s.png");
  expect_error([&] { plan_jobs({content}, {style}, content); }, ErrorCode::kInvalidOptions,
               {content, "overwrite an input"});
  expect_error([&] { plan_jobs({content}, {style}, style); }, ErrorCode::kInvalidOptions, {style});
  // Through a template and a different spelling of the same path.
  expect_error([&] { plan_jobs({content}, {style}, path("in/./{content}.png")); },
               ErrorCode::kInvalidOptions, {"overwrite an input"});
}

TEST(SelectShard, ShardsCoverEveryJobExactlyOnce) {
  std::vector<Job> jobs(7);
  for (size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].index = i;
    jobs[i].output = "out/" + std::to_string(i) + ".png";
  }
  for (size_t count = 1; count <= 8; ++count) {
    SCOPED_TRACE("count " + std::to_string(count));
    std::multiset<size_t> covered;
    for (size_t shard = 0; shard < count; ++shard) {
      const auto selected = select_shard(jobs, shard, count);
      size_t previous = 0;
      for (size_t k = 0; k < selected.size(); ++k) {
        EXPECT_EQ(selected[k].index % count, shard);
        EXPECT_EQ(selected[k].output, jobs[selected[k].index].output);
        if (k > 0) {
          EXPECT_GT(selected[k].index, previous);  // order kept
        }
        previous = selected[k].index;
        covered.insert(selected[k].index);
      }
    }
    ASSERT_EQ(covered.size(), jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i) EXPECT_EQ(covered.count(i), 1u) << i;
  }
  EXPECT_TRUE(select_shard(jobs, 7, 8).empty());
  EXPECT_EQ(select_shard(jobs, 0, 1).size(), jobs.size());
}

TEST(DerivedPaths, PartialPath) {
  EXPECT_EQ(partial_path("out/a_b.png"), "out/a_b.partial.png");
  EXPECT_EQ(partial_path("a.jpg"), "a.partial.jpg");
  EXPECT_EQ(partial_path("/x/y/photo.v2.webp"), "/x/y/photo.v2.partial.webp");
}

TEST(DerivedPaths, IterationPath) {
  EXPECT_EQ(iteration_path("out/a.png", 100), "out/a.iter00100.png");
  EXPECT_EQ(iteration_path("out/a.png", 2), "out/a.iter00002.png");
  EXPECT_EQ(iteration_path("b.jpg", 123456), "b.iter123456.jpg");
}

TEST(JobStatusNames, AsInTheReport) {
  EXPECT_STREQ(to_string(JobStatus::kPending), "pending");
  EXPECT_STREQ(to_string(JobStatus::kDone), "done");
  EXPECT_STREQ(to_string(JobStatus::kSkipped), "skipped");
  EXPECT_STREQ(to_string(JobStatus::kFailed), "failed");
  EXPECT_STREQ(to_string(JobStatus::kCutShort), "cut short");
  EXPECT_STREQ(to_string(JobStatus::kInterrupted), "interrupted");
}

TEST(Report, Structure) {
  RunInfo run;
  run.tool_version = "9.9.9";
  run.model_path = "models/vgg19.pt";
  run.model_sha256 = std::string(64, 'a');
  run.device = "cpu";
  run.threads = 2;
  run.options = StyleTransferOptions::preset("default");
  run.options.seed(7);
  run.batch.skip_existing = true;
  run.started_at = "2026-01-02T03:04:05Z";
  run.seconds = 1.5;
  run.status = "failed";
  run.exit_code = 2;

  std::vector<JobResult> jobs(3);
  for (size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].job.index = i;
    jobs[i].job.content = "in/c" + std::to_string(i) + ".png";
    jobs[i].job.style = "st/s.png";
    jobs[i].job.output = "out/c" + std::to_string(i) + "_s.png";
  }
  jobs[0].status = JobStatus::kDone;
  jobs[0].written = jobs[0].job.output;
  jobs[0].content = {"in/c0.png", std::string(64, 'b'), 1234, 64, 48};
  jobs[0].style = {"st/s.png", std::string(64, 'c'), 999, 64, 64};
  jobs[0].scales.push_back({64, 48, 10, 3.5, 1.25, 2.5});
  jobs[0].losses = {{5, 9.5, 4.25, 1.5}, {10, 3.5, 1.25, 2.5}};
  jobs[0].iterations = 10;
  jobs[0].seconds = 0.75;
  jobs[0].peak_memory_bytes = 1 << 20;
  jobs[0].peak_device_memory_bytes = 3 << 20;
  jobs[1].status = JobStatus::kFailed;
  jobs[1].reason = "cannot read image 'in/c1.png'";

  const json report = json::parse(report_json(run, jobs));
  EXPECT_EQ(report["tool"], "nst");
  EXPECT_EQ(report["version"], "9.9.9");
  EXPECT_EQ(report["model"]["path"], "models/vgg19.pt");
  EXPECT_EQ(report["model"]["sha256"], std::string(64, 'a'));
  EXPECT_EQ(report["device"], "cpu");
  EXPECT_EQ(report["precision"], "fp32");
  EXPECT_EQ(report["threads"], 2);
  EXPECT_EQ(report["status"], "failed");
  EXPECT_EQ(report["exit_code"], 2);
  EXPECT_EQ(report["started_at"], "2026-01-02T03:04:05Z");
  EXPECT_DOUBLE_EQ(report["seconds"].get<double>(), 1.5);
  EXPECT_TRUE(report["shard"].is_null());
  EXPECT_FALSE(report.contains("error"));
  for (const char* key :
       {"size", "style_size", "iterations", "content_layers", "style_layers", "style_layer_weights",
        "content_weight", "style_weight", "learning_rate", "beta1", "beta2", "epsilon", "seed"}) {
    EXPECT_TRUE(report["options"].contains(key)) << key;
  }
  EXPECT_EQ(report["options"]["seed"], 7);
  EXPECT_EQ(report["batch"]["skip_existing"], true);
  EXPECT_EQ(report["batch"]["overwrite"], false);
  EXPECT_EQ(report["batch"]["loss_every"], 0);
  EXPECT_EQ(report["counts"], (json{{"done", 1},
                                    {"failed", 1},
                                    {"pending", 1},
                                    {"skipped", 0},
                                    {"cut short", 0},
                                    {"interrupted", 0}}));

  const json& entries = report["jobs"];
  ASSERT_EQ(entries.size(), 3u);
  const json& done = entries[0];
  EXPECT_EQ(done["index"], 0);
  EXPECT_EQ(done["status"], "done");
  EXPECT_EQ(done["output"], "out/c0_s.png");
  EXPECT_EQ(done["written"], "out/c0_s.png");
  EXPECT_EQ(done["seed"], 7);
  EXPECT_EQ(done["content"], (json{{"path", "in/c0.png"},
                                   {"sha256", std::string(64, 'b')},
                                   {"bytes", 1234},
                                   {"width", 64},
                                   {"height", 48}}));
  EXPECT_EQ(done["style"]["bytes"], 999);
  ASSERT_EQ(done["scales"].size(), 1u);
  EXPECT_EQ(done["scales"][0], (json{{"width", 64},
                                     {"height", 48},
                                     {"iterations", 10},
                                     {"loss", 3.5},
                                     {"content_loss", 1.25},
                                     {"style_loss", 2.5},
                                     {"tile", nullptr}}));
  EXPECT_EQ(
      done["losses"],
      (json{{{"iteration", 5}, {"loss", 9.5}, {"content_loss", 4.25}, {"style_loss", 1.5}},
            {{"iteration", 10}, {"loss", 3.5}, {"content_loss", 1.25}, {"style_loss", 2.5}}}));
  EXPECT_EQ(done["iterations"], 10);
  EXPECT_DOUBLE_EQ(done["seconds"].get<double>(), 0.75);
  EXPECT_EQ(done["peak_memory_bytes"], 1 << 20);
  EXPECT_EQ(done["peak_gpu_memory_bytes"], 3 << 20);
  EXPECT_FALSE(done.contains("reason"));

  const json& failed = entries[1];
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_EQ(failed["reason"], "cannot read image 'in/c1.png'");
  EXPECT_TRUE(failed["written"].is_null());
  EXPECT_EQ(failed["content"], (json{{"path", "in/c1.png"}}));  // never loaded: path only
  EXPECT_EQ(entries[2]["status"], "pending");
  EXPECT_TRUE(entries[2]["scales"].empty());
  EXPECT_TRUE(entries[2]["losses"].is_array() && entries[2]["losses"].empty());

  run.shard = "1/3";
  run.status = "error";
  run.error = "no model";
  const json with_error = json::parse(report_json(run, {}));
  EXPECT_EQ(with_error["shard"], "1/3");
  EXPECT_EQ(with_error["error"], "no model");
  EXPECT_TRUE(with_error["jobs"].empty());
}

TEST(Report, UtcTimestampIsIso8601) {
  EXPECT_TRUE(std::regex_match(utc_timestamp(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << utc_timestamp();
}

}  // namespace
}  // namespace nst
