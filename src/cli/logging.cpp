#include "nst/cli/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "nst/report/json_text.h"

namespace nst::cli {
namespace {

// "%*" prints the level as a prefix, and nothing for plain information.
class LevelPrefix : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view prefix;
    switch (message.level) {
      case spdlog::level::err:
      case spdlog::level::critical:
        prefix = "error: ";
        break;
      case spdlog::level::warn:
        prefix = "warning: ";
        break;
      case spdlog::level::debug:
      case spdlog::level::trace:
        prefix = "debug: ";
        break;
      default:
        break;
    }
    dest.append(prefix.data(), prefix.data() + prefix.size());
  }

  std::unique_ptr<custom_flag_formatter> clone() const override {
    return spdlog::details::make_unique<LevelPrefix>();
  }
};

// Log records as JSON lines, next to the progress events of --progress json.
class JsonSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    const auto level = spdlog::level::to_string_view(message.level);
    const nlohmann::json event = {
        {"event", "log"},
        {"level", std::string(level.data(), level.size())},
        {"message", std::string(message.payload.data(), message.payload.size())}};
    std::fprintf(stderr, "%s\n", json_text(event).c_str());
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

void setup_logging(bool quiet, bool verbose, bool json) {
  std::shared_ptr<spdlog::logger> logger;
  if (json) {
    logger = std::make_shared<spdlog::logger>("nst", std::make_shared<JsonSink>());
  } else {
    logger = spdlog::stderr_color_st("nst");
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<LevelPrefix>('*').set_pattern("nst: %^%*%$%v");
    logger->set_formatter(std::move(formatter));
  }
  logger->set_level(quiet     ? spdlog::level::err
                    : verbose ? spdlog::level::debug
                              : spdlog::level::info);
  spdlog::set_default_logger(logger);
  // OpenCV's own warnings (e.g. about a file it cannot decode) would duplicate our messages.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
}

}  // namespace nst::cli
