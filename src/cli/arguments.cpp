#include "nst/cli/arguments.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <regex>

#include "nst/cli/completion.h"
#include "nst/cli/options_page.h"
#include "nst/cli/progress.h"
#include "nst/engine/device.h"
#include "nst/engine/error.h"
#include "nst/engine/memory_plan.h"
#include "nst/engine/vgg.h"
#include "nst/io/image_io.h"

namespace nst::cli {
namespace {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// CLI11 validator for "I/N" with 0 <= I < N.
std::string check_shard(const std::string& text) {
  try {
    parse_shard(text);
    return "";
  } catch (const Error& error) {
    return error.what();
  }
}

constexpr const char* kFooter = R"(
Inputs: --content and --style each take files, folders (their images, sorted by name) and
glob patterns; every content is painted in every style, content by content.
Outputs: with one job, -o is the output file; otherwise a folder (outputs named
{content}_{style}.png) or a template using {content}, {style}, {index} and {ext}
(e.g. -o 'out/{style}/{content}.jpg'). Existing outputs are never replaced without
--overwrite; --skip-existing makes a rerun do only what is left.

Exit codes:
  0    every job done (or skipped, or cut short by --time-limit)
  1    nothing could run: bad arguments, no model, an output that cannot be written, ...
  2    the batch ran and some jobs failed (each is reported with its file and reason)
  130  interrupted by SIGINT; the current job's result is saved with .partial before its
       extension; a second interrupt stops at once
  143  terminated by SIGTERM, as for SIGINT

Examples:
  nst --content photo.jpg --style starry_night.jpg -o painted.png
  nst -c photos/ -s styles/ -o out/ --skip-existing --report run.json
  nst -c 'shots/*.jpg' -s wave.jpg -o 'out/{index}_{content}.jpg' --shard 0/4
  nst -c small.png -s style.png -o smoke.png --preset fast   # seconds, for CI
)";

}  // namespace

std::pair<size_t, size_t> parse_shard(const std::string& text) {
  if (text.empty()) return {0, 1};
  static const std::regex pattern(R"((\d{1,9})/(\d{1,9}))");
  std::smatch match;
  if (std::regex_match(text, match, pattern)) {
    const size_t index = std::stoul(match[1]), count = std::stoul(match[2]);
    if (count >= 1 && index < count) return {index, count};
  }
  throw Error(ErrorCode::kInvalidOptions,
              "shard '" + text + "' is not I/N with 0 <= I < N (e.g. 0/4 ... 3/4)");
}

namespace {

// The tutorial preset's name until it was renamed, still accepted for one release.
constexpr const char* kDeprecatedPreset = "seed";
constexpr const char* kDeprecatedPresetNowNamed = "tutorial";

// The preset names as --preset's choices, shown by --help; the deprecated name is accepted too
// but not shown.
CLI::Validator preset_check() {
  const CLI::Validator known = CLI::IsMember(StyleTransferOptions::preset_names());
  return CLI::Validator(
      [known](std::string& name) {
        return name == kDeprecatedPreset ? std::string() : known(name);
      },
      known.get_description());
}

// Records each option as it is declared: the one list --help, completion and the manual share.
class Declared {
 public:
  explicit Declared(std::vector<OptionInfo>& infos) : infos_(infos) {}

  CLI::Option* operator()(CLI::Option* option, ValueKind value,
                          std::vector<std::string> choices = {}, bool list = false) {
    OptionInfo info;
    for (const auto& name : option->get_snames()) info.names.push_back("-" + name);
    for (const auto& name : option->get_lnames()) info.names.push_back("--" + name);
    info.help = option->get_description();
    info.value = value;
    info.choices = std::move(choices);
    info.list = list;
    infos_.push_back(std::move(info));
    return option;
  }

 private:
  std::vector<OptionInfo>& infos_;
};

// Checks a number against a setting's bounds; CLI11 applies it to each item of a list.
CLI::Validator bounds_check(const Bounds& bounds) {
  return CLI::Validator(
      [bounds](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return "'" + text + "' is not a number";
        return bounds.contains(value) ? "" : text + " is not " + bounds.describe();
      },
      bounds.symbols());
}

// Declares one algorithm setting from its definition; a value given is kept under the
// setting's index for `resolve_options`.
void add_setting(CLI::App& app, Declared& declare, CliOptions& o, size_t index) {
  const Setting& setting = settings()[index];
  std::string help = setting.help;
  if (setting.type != SettingType::kFlag) help += " (default " + default_text(setting) + ")";
  auto& given = o.settings;
  const auto keep = [&given, index](auto value) { given[index] = SettingValue(value); };
  const bool bounded = setting.bounds.low > -std::numeric_limits<double>::infinity() ||
                       setting.bounds.high < std::numeric_limits<double>::infinity();
  CLI::Option* option = nullptr;
  switch (setting.type) {
    case SettingType::kFlag:
      option = app.add_flag_callback(
          setting.flag, [keep] { keep(true); }, help);
      declare(option, ValueKind::kNone);
      return;
    case SettingType::kInteger:
      option = app.add_option_function<int64_t>(setting.flag, keep, help);
      break;
    case SettingType::kUnsigned:
      option = app.add_option_function<uint64_t>(setting.flag, keep, help);
      break;
    case SettingType::kReal:
      option = app.add_option_function<double>(setting.flag, keep, help);
      break;
    case SettingType::kChoice:
      option = app.add_option_function<std::string>(setting.flag, keep, help)
                   ->check(CLI::IsMember(setting.choices));
      declare(option, ValueKind::kChoice, setting.choices);
      return;
    case SettingType::kSideOrChoice: {
      // A word, kept as it is, or a number, kept as one: the setting tells them apart.
      const auto keep_either = [keep](const std::string& text) {
        int64_t number = 0;
        if (CLI::detail::lexical_cast(text, number)) {
          keep(number);
        } else {
          keep(text);
        }
      };
      const std::vector<std::string> words = setting.choices;
      const Bounds bounds = setting.bounds;
      option = app.add_option_function<std::string>(setting.flag, keep_either, help)
                   ->check(CLI::Validator(
                       [words, bounds](std::string& text) -> std::string {
                         if (std::find(words.begin(), words.end(), text) != words.end()) return "";
                         int64_t number = 0;
                         if (CLI::detail::lexical_cast(text, number) &&
                             bounds.contains(static_cast<double>(number))) {
                           return "";
                         }
                         return "'" + text + "' is not " + join(words, ", ") + " or a whole " +
                                bounds.describe().substr(2);
                       },
                       join(words, "|") + "|" + bounds.symbols()));
      declare(option, ValueKind::kChoice, setting.choices);
      return;
    }
    case SettingType::kText:
      option = app.add_option_function<std::string>(setting.flag, keep, help);
      // --init: a word, or an image file for any other text
      declare(option, ValueKind::kPath, {"content", "noise", "gray"});
      return;
    case SettingType::kLayers:
      option = app.add_option_function<std::vector<std::string>>(setting.flag, keep, help)
                   ->delimiter(',');
      declare(option, ValueKind::kChoice, FeatureExtractor::layer_names(), true);
      return;
    case SettingType::kReals:
      option =
          app.add_option_function<std::vector<double>>(setting.flag, keep, help)->delimiter(',');
      if (bounded) option->check(bounds_check(setting.bounds));
      declare(option, ValueKind::kNumber, {}, true);
      return;
  }
  if (bounded) option->check(bounds_check(setting.bounds));
  declare(option, ValueKind::kNumber);
}

}  // namespace

const SettingValue* CliOptions::given(const char* key) const {
  for (const auto& [index, value] : settings) {
    if (std::string_view(nst::settings()[index].key) == key) return &value;
  }
  return nullptr;
}

std::vector<OptionInfo> add_arguments(CLI::App& app, CliOptions& o) {
  // Shared with the --completion callback, which runs while parsing, after this returns.
  const auto infos = std::make_shared<std::vector<OptionInfo>>();
  Declared declare(*infos);
  app.description(
      "Paints photos in the style of artworks by neural style transfer (Gatys et al.): Adam "
      "over the output's pixels minimising VGG19 content and Gram-matrix style losses.");
  app.set_version_flag("--version", std::string("nst ") + NST_VERSION);
  app.get_formatter()->column_width(34);
  declare(app.get_help_ptr(), ValueKind::kNone);
  declare(app.get_version_ptr(), ValueKind::kNone);

  const std::string formats = join(writable_extensions(), ", ");
  declare(app.add_option("-c,--content", o.contents,
                         "Content images: files, folders, glob patterns, or - for standard input")
              ->required()
              ->expected(1, -1),
          ValueKind::kPath, {}, true);
  declare(app.add_option("-s,--style", o.styles,
                         "Style images: files, folders, glob patterns, or - for standard input")
              ->required()
              ->expected(1, -1),
          ValueKind::kPath, {}, true);
  declare(app.add_option("-o,--output", o.output,
                         "Output file (one job; its extension picks the format: " + formats +
                             "), folder, or template")
              ->required(),
          ValueKind::kPath);
  declare(app.add_option("--blend", o.blend,
                         "Blend all the style images into one style with these weights (e.g. "
                         "0.7,0.3; normalised)")
              ->delimiter(','),
          ValueKind::kNumber, {}, true);
  declare(app.add_flag("--recursive", o.recursive,
                       "Also take images from sub-folders of input folders"),
          ValueKind::kNone);

  declare(
      app.add_option("--preset", o.preset, "Algorithm settings to start from; flags override them")
          ->check(preset_check())
          ->capture_default_str(),
      ValueKind::kChoice, StyleTransferOptions::preset_names());
  for (size_t index = 0; index < settings().size(); ++index) {
    add_setting(app, declare, o, index);
  }

  declare(app.add_option("--frames", o.frames,
                         "Clips: paint frames A to B (from 1, inclusive; A: or :B for the clip's "
                         "end or start)"),
          ValueKind::kText);
  declare(app.add_option("--temporal-weight", o.clip.temporal_weight,
                         "Clips: weight of the temporal loss that holds each frame to the one "
                         "before, carried along the optical flow; 0 paints each frame alone")
              ->check(CLI::NonNegativeNumber)
              ->capture_default_str(),
          ValueKind::kNumber);
  declare(app.add_option_function<std::string>(
                 "--flow",
                 [&o](const std::string& name) { o.clip.flow = *value_named<FlowMethod>(name); },
                 "Clips: optical flow between frames: dis (fast), farneback, deepflow, tvl1 "
                 "(slower, for large motions) (default dis)")
              ->check(CLI::IsMember(names_of<FlowMethod>())),
          ValueKind::kChoice, names_of<FlowMethod>());
  declare(app.add_option("--frame-iterations", o.clip.later_iterations,
                         "Clips: steps of each frame after a scene's first, which starts from "
                         "the frame before")
              ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
              ->capture_default_str(),
          ValueKind::kNumber);
  declare(app.add_option("--scene-cut", o.clip.cut_threshold,
                         "Clips: a frame where the flow from the one before holds on less than "
                         "this share of the pixels starts a new scene, painted afresh")
              ->check(CLI::Range(0.0, 1.0))
              ->capture_default_str(),
          ValueKind::kNumber);
  declare(app.add_option("--fps", o.fps,
                         "Clips: frame rate of a video made from images (default 25; a video "
                         "input keeps its own)")
              ->check(CLI::PositiveNumber),
          ValueKind::kNumber);

  declare(
      app.add_option("--model", o.model,
                     "VGG19 TorchScript file (default: $NST_MODEL, then PREFIX/share/nst/models/"
                     "vgg19.pt for nst in PREFIX/bin, then models/vgg19.pt)"),
      ValueKind::kFile);
  declare(app.add_option("--device", o.device,
                         "Where to compute: auto (CUDA device 0 when available, else cpu), cpu, "
                         "cuda, cuda:N")
              ->check(CLI::Validator(
                  [](const std::string& name) {
                    return is_device_name(name) ? std::string()
                                                : "'" + name + "' is not auto, cpu, cuda or cuda:N";
                  },
                  "DEVICE"))
              ->capture_default_str(),
          ValueKind::kChoice, {"auto", "cpu", "cuda", "cuda:0"});
  declare(app.add_option("--threads", o.threads,
                         "CPU threads (default: the CPUs this process may run on, capped by a "
                         "cgroup CPU quota)")
              ->check(CLI::Range(1, 1024)),
          ValueKind::kNumber);

  auto* overwrite = app.add_flag("--overwrite", o.overwrite, "Replace existing outputs");
  declare(overwrite, ValueKind::kNone);
  declare(app.add_flag("--skip-existing", o.skip_existing,
                       "Skip jobs whose output exists (rerun an interrupted batch)")
              ->excludes(overwrite),
          ValueKind::kNone);
  declare(app.add_flag("--fail-fast", o.fail_fast, "Stop at the first failed job"),
          ValueKind::kNone);
  declare(app.add_option("--time-limit", o.time_limit,
                         "Seconds of optimisation per job; a job that reaches it keeps its "
                         "result so far")
              ->check(CLI::PositiveNumber),
          ValueKind::kNumber);
  declare(app.add_option("--save-every", o.save_every,
                         "Also write each job's image every N iterations (name.iterNNNNN.ext)")
              ->check(CLI::Range(int64_t{1}, int64_t{1000000})),
          ValueKind::kNumber);
  declare(app.add_option("--output-format", o.output_format,
                         "Format of the image that -o - writes to standard output")
              ->check(CLI::IsMember(writable_extensions()))
              ->capture_default_str(),
          ValueKind::kChoice, writable_extensions());
  declare(app.add_option("--max-input-pixels", o.max_input_pixels,
                         "Refuse inputs with more pixels than this, judged from the file's "
                         "header before decoding (0 for no limit)")
              ->check(CLI::NonNegativeNumber)
              ->capture_default_str(),
          ValueKind::kNumber);
  declare(app.add_option("--memory-limit", o.memory_limit,
                         "Memory a job may take, e.g. 6G or 6Gi (G: 1e9 bytes, Gi: 2^30): "
                         "--tile auto tiles what would not fit, and a job that cannot fit is "
                         "refused before it starts (default: what the machine has available)")
              ->check(CLI::Validator(
                  [](std::string& text) -> std::string {
                    try {
                      parse_memory_size(text);
                      return "";
                    } catch (const Error& error) {
                      return error.what();
                    }
                  },
                  "SIZE")),
          ValueKind::kText);
  declare(app.add_option("--shard", o.shard, "Run only jobs whose position mod N is I (I from 0)")
              ->check(check_shard),
          ValueKind::kText);
  declare(app.add_flag("--dry-run", o.dry_run, "Print the jobs and exit without loading the model"),
          ValueKind::kNone);
  declare(app.add_option("--report", o.report, "Write a JSON report of the run to this file"),
          ValueKind::kFile);
  declare(app.add_option("--gallery", o.gallery,
                         "Write the run as one HTML page: contents x styles with thumbnails, "
                         "status, time, losses and loss curves (also when jobs fail or the run "
                         "is interrupted)"),
          ValueKind::kFile);
  declare(app.add_option("--contact-sheet", o.contact_sheet,
                         "Write the same grid as one image (" + formats + ")"),
          ValueKind::kFile);
  declare(app.add_option("--progress", o.progress,
                         "Progress on stderr: auto (bar on a terminal, else plain), bar, plain, "
                         "json (one object per event), none")
              ->check(CLI::IsMember(names_of<ProgressMode>()))
              ->capture_default_str(),
          ValueKind::kChoice, names_of<ProgressMode>());
  declare(app.add_option("--print-every", o.print_every,
                         "Plain and json progress, and the report's loss curve, every N "
                         "iterations (default: progress at each tenth of a job's work, each "
                         "step weighed by its scale's pixels; the loss curve every tenth of its "
                         "steps)")
              ->check(CLI::Range(1, 1000000)),
          ValueKind::kNumber);
  auto* quiet = app.add_flag("-q,--quiet", o.quiet, "Print errors only");
  declare(quiet, ValueKind::kNone);
  declare(app.add_flag("-v,--verbose", o.verbose, "Print debug details")->excludes(quiet),
          ValueKind::kNone);

  // For packagers: the completion script from the records above. Hidden (no group), and acted
  // on while parsing, before the required options are checked.
  app.add_option_function<std::string>(
         "--completion",
         [infos](const std::string&) {
           std::fputs(bash_completion(*infos).c_str(), stdout);
           throw CLI::Success();
         },
         "Print the bash completion script and exit")
      ->check(CLI::IsMember({"bash"}))
      ->group("");
  // For the documentation: doc/options.md, made from the same declarations as --help.
  app.add_flag_callback(
         "--options-markdown",
         [&app] {
           std::fputs(options_markdown(app).c_str(), stdout);
           throw CLI::Success();
         },
         "Print every option as the Markdown page doc/options.md and exit")
      ->group("");

  app.footer("Presets (the defaults above are the default preset's):\n" +
             StyleTransferOptions::describe_presets() + kFooter);
  return *infos;
}

std::string rename_deprecated_preset(CliOptions& o) {
  if (o.preset != kDeprecatedPreset) return "";
  o.preset = kDeprecatedPresetNowNamed;
  return std::string("--preset ") + kDeprecatedPreset +
         " is deprecated and will be removed; use --preset " + kDeprecatedPresetNowNamed +
         " (the same settings)";
}

StyleTransferOptions resolve_options(const CliOptions& o) {
  auto options = StyleTransferOptions::preset(o.preset);
  // In the settings' order, whatever the command line's: a later setting may override what an
  // earlier one implied.
  for (const auto& [index, value] : o.settings) settings()[index].set(options, value);
  options.validate();
  return options;
}

BatchOptions batch_options(const CliOptions& o) {
  BatchOptions batch;
  batch.fail_fast = o.fail_fast;
  batch.skip_existing = o.skip_existing;
  batch.overwrite = o.overwrite;
  batch.time_limit_seconds = o.time_limit;
  batch.save_every = o.save_every;
  batch.stdout_format = o.output_format;
  batch.max_input_pixels = o.max_input_pixels;
  if (!o.memory_limit.empty()) batch.memory_limit_bytes = parse_memory_size(o.memory_limit);
  batch.hash_inputs = !o.report.empty();
  if (const auto* init = o.given("init")) {
    const auto& text = std::get<std::string>(*init);
    const auto named = value_named<Init>(text);
    if (!named || *named == Init::kImage) batch.init_image = text;
  }
  return batch;
}

}  // namespace nst::cli
