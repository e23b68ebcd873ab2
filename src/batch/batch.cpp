#include "nst/batch/batch.h"

#include <glob.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "nst/engine/error.h"

namespace nst {
namespace fs = std::filesystem;
namespace {

const std::set<std::string> kImageExtensions = {"jpg", "jpeg", "jpe", "png", "webp", "tif", "tiff",
                                                "bmp", "dib",  "ppm", "pgm", "pbm",  "pnm", "pfm",
                                                "pxm", "sr",   "ras", "exr", "hdr",  "pic", "jp2"};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool is_glob(const std::string& text) {
  return text.find_first_of("*?[") != std::string::npos;
}

// Identity of a path for finding duplicates: absolute, with links and dots resolved as far
// as the path exists.
std::string identity(const std::string& path) {
  std::error_code ec;
  const auto resolved = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? fs::absolute(path).lexically_normal().string() : resolved.string();
}

class Collector {
 public:
  Collector(bool recursive, const StopRequested& stop) : recursive_(recursive), stop_(stop) {}

  void add_file(const std::string& path) {
    ++matched_;
    if (seen_.insert(identity(path)).second) result_.files.push_back(path);
  }

  void add_folder(const fs::path& folder) {
    std::vector<fs::path> entries;
    std::error_code ec;
    // A folder of a million files, or one on a slow network share, takes a while.
    const std::string doing = "scanning folder '" + folder.string() + "'";
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
      stop_if_requested(stop_, doing);
      entries.push_back(it->path());
    }
    if (ec) {
      throw Error(ErrorCode::kImageRead,
                  "cannot read folder '" + folder.string() + "': " + ec.message());
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& entry : entries) add_entry(entry, folder);
  }

  void add_entry(const fs::path& entry, const fs::path& parent) {
    stop_if_requested(stop_, "scanning '" + parent.string() + "'");
    std::error_code ec;
    if (fs::is_directory(entry, ec)) {
      if (recursive_) {
        add_folder(entry);
      } else {
        note("skipping folder '" + entry.string() + "' in '" + parent.string() +
             "' (--recursive descends into folders)");
      }
    } else if (!fs::is_regular_file(entry, ec)) {
      // A FIFO or a device in a folder would block the scan or feed it endless bytes.
      note("skipping '" + entry.string() + "': not a regular file");
    } else if (has_image_extension(entry.string())) {
      add_file(entry.string());
    } else {
      note("skipping '" + entry.string() + "': not an image file name");
    }
  }

  void note(const std::string& text) { result_.notes.push_back(text); }
  // Image files met so far, counting those already listed by an earlier argument.
  size_t matched() const { return matched_; }
  InputFiles take() { return std::move(result_); }

 private:
  bool recursive_;
  const StopRequested& stop_;
  InputFiles result_;
  std::set<std::string> seen_;
  size_t matched_ = 0;
};

std::vector<std::string> glob_matches(const std::string& pattern) {
  glob_t matches{};
  const int status = glob(pattern.c_str(), 0, nullptr, &matches);
  std::vector<std::string> paths;
  if (status == 0) paths.assign(matches.gl_pathv, matches.gl_pathv + matches.gl_pathc);
  globfree(&matches);
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string replace_all(std::string text, const std::string& key, const std::string& value) {
  for (size_t at = text.find(key); at != std::string::npos;
       at = text.find(key, at + value.size())) {
    text.replace(at, key.size(), value);
  }
  return text;
}

std::string extension_of(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  return ext.empty() ? ext : ext.substr(1);
}

[[noreturn]] void invalid(const std::string& why) {
  throw Error(ErrorCode::kInvalidOptions, why);
}

}  // namespace

const char* const kDefaultOutputTemplate = "{content}_{style}.png";

// What an input is called in output names: its file name without the extension, "stdin" for
// standard input.
static std::string name_of_input(const std::string& path) {
  return path == "-" ? "stdin" : fs::path(path).stem().string();
}

bool has_image_extension(const std::string& path) {
  return kImageExtensions.count(lower(extension_of(path))) > 0;
}

InputFiles expand_inputs(const std::vector<std::string>& arguments, bool recursive,
                         const StopRequested& stop) {
  Collector collector(recursive, stop);
  for (const auto& argument : arguments) {
    const size_t before = collector.matched();
    std::error_code ec;
    const auto status = fs::status(argument, ec);
    if (argument == "-") {
      collector.add_file(argument);  // standard input
      continue;
    }
    if (fs::is_directory(status)) {
      collector.add_folder(argument);
    } else if (fs::exists(status)) {
      collector.add_file(argument);  // named explicitly: used whatever its extension
    } else if (is_glob(argument)) {
      for (const auto& match : glob_matches(argument)) collector.add_entry(match, argument);
    } else {
      // A symlink loop or a folder we may not enter says so; anything else is simply missing.
      throw Error(
          ErrorCode::kImageRead,
          "cannot read image '" + argument + "': " +
              (ec && ec != std::errc::no_such_file_or_directory ? ec.message() : "no such file"));
    }
    if (collector.matched() == before && !fs::is_regular_file(status)) {
      throw Error(ErrorCode::kImageRead, "'" + argument + "' holds or matches no image files");
    }
  }
  return collector.take();
}

std::vector<Job> plan_jobs(const std::vector<std::string>& contents,
                           const std::vector<std::string>& styles, const std::string& output) {
  if (output.empty()) invalid("-o is empty; give an output file, folder or template");
  const size_t count = contents.size() * styles.size();
  if (output == "-") {
    if (count != 1) {
      invalid("-o - writes one image to standard output, but there are " + std::to_string(count) +
              " jobs; give a folder, or a template such as 'out/" + kDefaultOutputTemplate + "'");
    }
    Job job;
    job.content = contents.front();
    job.style = styles.front();
    job.output = output;
    return {job};
  }
  std::error_code ec;
  const bool is_template = output.find('{') != std::string::npos;
  const bool is_folder = !is_template && (fs::is_directory(output, ec) || output.back() == '/' ||
                                          (count > 1 && !has_image_extension(output)));
  if (!is_template && !is_folder && count > 1) {
    invalid("-o '" + output + "' names one file, but there are " + std::to_string(count) +
            " jobs; give a folder, or a template such as 'out/" + kDefaultOutputTemplate + "'");
  }
  const std::string pattern = is_template ? output
                              : is_folder ? (fs::path(output) / kDefaultOutputTemplate).string()
                                          : output;
  const int width = static_cast<int>(std::to_string(count > 0 ? count - 1 : 0).size());

  std::vector<Job> jobs;
  std::map<std::string, size_t> owner;  // output identity → job index
  std::set<std::string> inputs;
  for (const auto& path : contents) inputs.insert(identity(path));
  for (const auto& path : styles) inputs.insert(identity(path));
  for (const auto& content : contents) {
    for (const auto& style : styles) {
      Job job;
      job.index = jobs.size();
      job.content = content;
      job.style = style;
      std::string name = pattern;
      if (is_template || is_folder) {
        char index[32];
        std::snprintf(index, sizeof(index), "%0*zu", width, job.index);
        name = replace_all(name, "{content}", name_of_input(content));
        name = replace_all(name, "{style}", name_of_input(style));
        name = replace_all(name, "{index}", index);
        name = replace_all(name, "{ext}", extension_of(content));
      }
      job.output = name;
      const std::string id = identity(name);
      if (inputs.count(id) > 0) {
        invalid("output '" + name + "' of job " + std::to_string(job.index) +
                " would overwrite an input");
      }
      if (const auto [it, fresh] = owner.emplace(id, job.index); !fresh) {
        const Job& first = jobs[it->second];
        invalid("jobs " + std::to_string(first.index) + " ('" + first.content + "' x '" +
                first.style + "') and " + std::to_string(job.index) + " ('" + content + "' x '" +
                style + "') would both write '" + name +
                "'; add {index} or {style} to the -o "
                "template");
      }
      jobs.push_back(std::move(job));
    }
  }
  return jobs;
}

std::string blend_name(const std::vector<std::string>& styles) {
  std::string name;
  for (const auto& style : styles) {
    name += (name.empty() ? "" : "+") + name_of_input(style);
  }
  return name;
}

std::vector<double> normalise_blend_weights(const std::vector<std::string>& styles,
                                            const std::vector<double>& weights) {
  if (weights.size() != styles.size()) {
    invalid("--blend has " + std::to_string(weights.size()) + " weights for " +
            std::to_string(styles.size()) + " style images");
  }
  double sum = 0;
  for (const double w : weights) {
    if (!(w >= 0) || !std::isfinite(w)) invalid("blend weights must be finite and >= 0");
    sum += w;
  }
  if (!(sum > 0)) invalid("blend weights must not all be zero");
  std::vector<double> normalised;
  for (const double w : weights) normalised.push_back(w / sum);
  return normalised;
}

std::vector<Job> select_shard(const std::vector<Job>& jobs, size_t shard, size_t count) {
  std::vector<Job> selected;
  for (const auto& job : jobs) {
    if (job.index % count == shard) selected.push_back(job);
  }
  return selected;
}

std::string partial_path(const std::string& output) {
  const fs::path path(output);
  return (path.parent_path() / (path.stem().string() + ".partial" + path.extension().string()))
      .string();
}

std::string iteration_path(const std::string& output, long long iteration) {
  const fs::path path(output);
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), ".iter%05lld", iteration);
  return (path.parent_path() / (path.stem().string() + suffix + path.extension().string()))
      .string();
}

}  // namespace nst
