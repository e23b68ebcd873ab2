#include "nst/engine/system_limits.h"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

namespace nst {

namespace {

namespace fs = std::filesystem;

// cgroup v1 writes "no limit" as the largest page-aligned 63-bit number.
constexpr int64_t kNoLimit = int64_t{1} << 60;

// The first word of `file` as a number; nothing for "max", "-1", an absent or unreadable file.
std::optional<int64_t> read_number(const fs::path& file) {
  std::ifstream in(file);
  std::string text;
  if (!(in >> text)) return std::nullopt;
  try {
    const int64_t value = std::stoll(text);
    if (value < 0 || value >= kNoLimit) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The number after `key` in a file of "key value [unit]" lines (memory.stat, /proc/meminfo).
std::optional<int64_t> keyed_number(const fs::path& file, const std::string& key) {
  std::ifstream in(file);
  std::string name;
  while (in >> name) {
    if (name == key) {
      int64_t value = 0;
      if (in >> value) return value;
      return std::nullopt;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return std::nullopt;
}

// One line of /proc/self/cgroup: "id:controllers:path"; cgroup v2's line has no controllers.
struct OwnCgroup {
  std::vector<std::string> controllers;
  std::string path;
};

std::vector<OwnCgroup> own_cgroups(const fs::path& root) {
  std::vector<OwnCgroup> cgroups;
  std::ifstream in(root / "proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    OwnCgroup cgroup;
    std::istringstream names(line.substr(first + 1, second - first - 1));
    for (std::string name; std::getline(names, name, ',');) {
      if (!name.empty()) cgroup.controllers.push_back(name);
    }
    cgroup.path = line.substr(second + 1);
    cgroups.push_back(std::move(cgroup));
  }
  return cgroups;
}

// The folders of the process's cgroup under `mount` and of each cgroup above it, up to the
// mount itself. A container often mounts its own cgroup as the root while /proc/self/cgroup
// names the host's path, so folders that do not exist are skipped: the mount is always read.
std::vector<fs::path> levels(const fs::path& mount, const std::string& path) {
  std::vector<fs::path> folders;
  std::error_code error;
  if (!fs::is_directory(mount, error)) return folders;
  for (fs::path relative = fs::path(path).relative_path();; relative = relative.parent_path()) {
    const fs::path folder = mount / relative;
    if (fs::is_directory(folder, error)) folders.push_back(folder);
    if (relative.empty()) break;
  }
  return folders;
}

// The cgroup folders, own first, that govern `controller` ("memory", "cpu") for this process:
// cgroup v2's unified hierarchy, or v1's hierarchy of that controller.
std::vector<fs::path> governing_folders(const fs::path& root, const std::string& controller) {
  const fs::path cgroup_root = root / "sys/fs/cgroup";
  std::vector<OwnCgroup> cgroups = own_cgroups(root);
  // No /proc/self/cgroup (a bare container or tests of one level): the mounts themselves.
  if (cgroups.empty()) cgroups = {{{}, "/"}, {{controller}, "/"}};
  std::vector<fs::path> folders;
  for (const auto& cgroup : cgroups) {
    std::vector<fs::path> mounts;
    if (cgroup.controllers.empty()) {
      mounts = {cgroup_root, cgroup_root / "unified"};  // v2, or v2 beside v1 (hybrid)
    } else if (std::find(cgroup.controllers.begin(), cgroup.controllers.end(), controller) !=
               cgroup.controllers.end()) {
      std::string joined;
      for (const auto& name : cgroup.controllers) joined += (joined.empty() ? "" : ",") + name;
      mounts = {cgroup_root / joined, cgroup_root / controller};
    }
    for (const auto& mount : mounts) {
      for (auto& folder : levels(mount, cgroup.path)) {
        if (std::find(folders.begin(), folders.end(), folder) == folders.end()) {
          folders.push_back(std::move(folder));
        }
      }
    }
  }
  return folders;
}

// What is left under one cgroup's memory limit, page cache it could drop counted as free.
std::optional<int64_t> memory_left(const fs::path& folder) {
  // v2 names, then v1's.
  auto limit = read_number(folder / "memory.max");
  auto usage = read_number(folder / "memory.current");
  auto cache = keyed_number(folder / "memory.stat", "inactive_file");
  if (!limit) {
    limit = read_number(folder / "memory.limit_in_bytes");
    usage = read_number(folder / "memory.usage_in_bytes");
    cache = keyed_number(folder / "memory.stat", "total_inactive_file");
    if (!cache) cache = keyed_number(folder / "memory.stat", "inactive_file");
  }
  if (!limit || !usage) return std::nullopt;
  const int64_t used = std::max<int64_t>(0, *usage - cache.value_or(0));
  return std::max<int64_t>(0, *limit - used);
}

// One cgroup's CPU quota in CPUs (quota / period), if it has one.
std::optional<double> cpu_quota(const fs::path& folder) {
  std::ifstream max_file(folder / "cpu.max");  // v2: "quota period" or "max period"
  std::string quota_text;
  int64_t period = 0;
  if (max_file >> quota_text >> period) {
    if (quota_text == "max" || period <= 0) return std::nullopt;
    try {
      return static_cast<double>(std::stoll(quota_text)) / static_cast<double>(period);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  const auto quota = read_number(folder / "cpu.cfs_quota_us");  // v1: -1 for none
  const auto v1_period = read_number(folder / "cpu.cfs_period_us");
  if (!quota || !v1_period || *v1_period == 0) return std::nullopt;
  return static_cast<double>(*quota) / static_cast<double>(*v1_period);
}

}  // namespace

int64_t available_memory_bytes(const std::string& root) {
  const auto kilobytes = keyed_number(fs::path(root) / "proc/meminfo", "MemAvailable:");
  int64_t available = kilobytes ? *kilobytes * 1024 : 0;
  // A job's or a container's limit can be far below what the machine has free.
  for (const auto& folder : governing_folders(root, "memory")) {
    if (const auto left = memory_left(folder)) {
      available = available > 0 ? std::min(available, *left) : *left;
    }
  }
  return available;
}

int64_t address_space_left_bytes(const std::string& root) {
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return -1;
  const auto kilobytes = keyed_number(fs::path(root) / "proc/self/status", "VmSize:");
  const int64_t size = kilobytes ? *kilobytes * 1024 : 0;
  return std::max<int64_t>(0, static_cast<int64_t>(limit.rlim_cur) - size);
}

CpuBudget cpu_budget(int affinity_cpus, const std::string& root) {
  CpuBudget budget{std::max(1, affinity_cpus), "CPU affinity"};
  std::optional<double> tightest;
  for (const auto& folder : governing_folders(root, "cpu")) {
    if (const auto quota = cpu_quota(folder); quota && (!tightest || *quota < *tightest)) {
      tightest = quota;
    }
  }
  if (tightest) {
    // A quota of 2.5 CPUs keeps three threads busy most of the time; never fewer than one.
    const int cpus = std::max(1, static_cast<int>(std::ceil(*tightest - 1e-9)));
    if (cpus < budget.cpus) {
      std::ostringstream source;
      source << "cgroup CPU quota of " << *tightest << " CPUs";
      budget = {cpus, source.str()};
    }
  }
  return budget;
}

void reset_peak_memory() {
  // Writing 5 resets VmHWM (Linux 4.0 and later).
  if (std::FILE* file = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", file);
    std::fclose(file);
  }
}

int64_t peak_memory_bytes() {
  return keyed_number("/proc/self/status", "VmHWM:").value_or(0) * 1024;
}

int64_t resident_memory_bytes() {
  return keyed_number("/proc/self/status", "VmRSS:").value_or(0) * 1024;
}

CpuBudget usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return cpu_budget(CPU_COUNT(&set));
  CpuBudget budget = cpu_budget(static_cast<int>(std::thread::hardware_concurrency()));
  if (budget.source == "CPU affinity") budget.source = "the machine's CPU count";
  return budget;
}

}  // namespace nst
