#pragma once

#include <cstdint>
#include <string>

namespace nst {

// What the process may use of the machine, read the way a cluster or a container sets it: the
// process's own cgroup (found through /proc/self/cgroup, v1 or v2, every level up to the
// root), not the machine's totals. `root` is "/" except in tests, which give a folder that
// holds fake proc/ and sys/fs/cgroup/ files.

/// Memory the process could still take, in bytes: the kernel's MemAvailable, lowered to what
/// is left under the tightest cgroup memory limit on the process's path, where reclaimable
/// page cache (inactive file pages) counts as available; 0 where none of it can be read.
int64_t available_memory_bytes(const std::string& root = "/");

/// Address space the process may still map under its RLIMIT_AS (`ulimit -v`): the limit less
/// the process's virtual size now (VmSize in `root`/proc/self/status); -1 without a limit.
int64_t address_space_left_bytes(const std::string& root = "/");

/// Resets the process's peak resident memory, so that `peak_memory_bytes` measures from now
/// (Linux: /proc/self/clear_refs). Does nothing where that is not possible.
void reset_peak_memory();

/// Peak resident memory of the process, in bytes, since start or the last `reset_peak_memory`;
/// 0 where it cannot be read.
int64_t peak_memory_bytes();

/// Resident memory of the process now, in bytes; 0 where it cannot be read.
int64_t resident_memory_bytes();

/// How many threads the process can keep busy, and why.
struct CpuBudget {
  int cpus = 1;
  /// "CPU affinity" (the CPUs the process may run on: taskset, Slurm's --cpus-per-task) or
  /// "cgroup CPU quota of 2.5 CPUs" (cpu.max or cpu.cfs_quota_us, rounded up).
  std::string source;
};

/// The CPUs of `affinity_cpus` (the process's affinity mask), capped by the tightest cgroup
/// CPU quota on the process's path.
CpuBudget cpu_budget(int affinity_cpus, const std::string& root = "/");

/// `cpu_budget` of this process: its affinity from sched_getaffinity (the hardware's count
/// where that fails).
CpuBudget usable_cpus();

}  // namespace nst
