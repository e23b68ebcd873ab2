// libFuzzer target: the run report with untrusted text in it. File names come from the user's
// folders and may hold any bytes but '/' and NUL (invalid UTF-8 included), and failure reasons
// quote them. Whatever they hold, the report must be one valid JSON document with every job in
// it, and every valid UTF-8 string must come back exactly as it went in. Anything else (an
// exception, a crash, a sanitizer report) is a finding.
#include <cstdint>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nst/report/report.h"

namespace {

// Hands out pieces of the fuzzer's input: strings separated by NUL bytes, and numbers.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  std::string text() {
    std::string out;
    while (position_ < size_ && data_[position_] != 0) out += static_cast<char>(data_[position_++]);
    if (position_ < size_) ++position_;  // the separator
    return out;
  }

  // Any bit pattern: NaN and infinities included.
  double number() { return take<double>(); }

  int64_t integer() { return take<int64_t>(); }

  uint8_t byte() { return position_ < size_ ? data_[position_++] : 0; }

 private:
  template <typename T>
  T take() {
    T value{};
    if (size_ - position_ >= sizeof value) {
      std::memcpy(&value, data_ + position_, sizeof value);
      position_ += sizeof value;
    }
    return value;
  }

  const uint8_t* data_;
  size_t size_;
  size_t position_ = 0;
};

bool valid_utf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();  // the strict handler throws on invalid UTF-8
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

// A string that went into the report must come out the same when it was valid UTF-8.
void expect_same(const nlohmann::json& value, const std::string& original) {
  if (valid_utf8(original) && value.get<std::string>() != original) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(data, size);
  nst::RunInfo run;
  run.tool_version = in.text();
  run.model_path = in.text();
  run.device = in.text();
  run.shard = in.text();
  run.status = in.text();
  run.error = in.text();
  run.seconds = in.number();
  const size_t job_count = in.byte() % 4;
  std::vector<nst::JobResult> jobs(job_count);
  for (size_t i = 0; i < job_count; ++i) {
    auto& job = jobs[i];
    job.job.index = i;
    job.job.content = in.text();
    job.job.style = in.text();
    job.job.output = in.text();
    job.written = in.text();
    job.reason = in.text();
    job.status = static_cast<nst::JobStatus>(in.byte() % 6);
    job.content.path = in.text();
    job.content.bytes = in.integer();
    if (in.byte() % 2 == 1) {
      job.job.blend = {in.text(), in.text()};
      job.job.blend_weights = {in.number(), in.number()};
    }
    nst::ScaleOutcome scale;
    scale.loss = in.number();  // NaN and infinities included
    scale.style_loss = in.number();
    job.scales.push_back(scale);
  }

  const std::string text = nst::report_json(run, jobs);
  const auto document = nlohmann::json::parse(text);  // throws (a finding) if not valid JSON
  if (document.at("jobs").size() != job_count) __builtin_trap();
  expect_same(document.at("model").at("path"), run.model_path);
  if (!run.error.empty()) expect_same(document.at("error"), run.error);
  for (size_t i = 0; i < job_count; ++i) {
    const auto& entry = document.at("jobs").at(i);
    expect_same(entry.at("output"), jobs[i].job.output);
    expect_same(entry.at("status"), nst::to_string(jobs[i].status));
    if (!jobs[i].reason.empty()) expect_same(entry.at("reason"), jobs[i].reason);
  }
  return 0;
}
