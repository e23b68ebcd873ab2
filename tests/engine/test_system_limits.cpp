// Memory and CPU limits read the way clusters and containers set them, from fake proc/ and
// sys/fs/cgroup/ trees: the process's own cgroup, the tightest level on its path, page cache
// counted as free, CPU affinity capped by a quota.
#include <gtest/gtest.h>

#include <filesystem>

#include "nst/engine/system_limits.h"
#include "test_helpers.h"

namespace nst {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kGiB = int64_t{1} << 30;

class SystemLimits : public ::testing::Test {
 protected:
  // Writes `text` to root/`relative`, making its folders.
  void put(const std::string& relative, const std::string& text) const {
    const fs::path path = dir_.path() / relative;
    fs::create_directories(path.parent_path());
    test::write_bytes(path.string(), text);
  }
  std::string root() const { return dir_.path().string(); }

  void machine_with_free_gib(int64_t gib) const {
    put("proc/meminfo",
        "MemTotal:       25000000 kB\nMemFree:         1000000 kB\n"
        "MemAvailable:   " +
            std::to_string(gib * 1024 * 1024) + " kB\n");
  }

  test::TempDir dir_;
};

TEST_F(SystemLimits, WithoutCgroupsTheMachinesAvailableMemory) {
  machine_with_free_gib(20);
  EXPECT_EQ(available_memory_bytes(root()), 20 * kGiB);
  // Nothing readable at all: unknown.
  EXPECT_EQ(available_memory_bytes((dir_.path() / "nothing").string()), 0);
}

TEST_F(SystemLimits, ASlurmJobsMemoryLimitDeepInCgroupV2) {
  machine_with_free_gib(20);
  const std::string job = "sys/fs/cgroup/system.slice/slurmstepd.scope/job_42/step_0/";
  put("proc/self/cgroup", "0::/system.slice/slurmstepd.scope/job_42/step_0\n");
  put("sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
  // The job's level holds the limit (4 GiB, 1 GiB used); the step has none of its own.
  put("sys/fs/cgroup/system.slice/slurmstepd.scope/job_42/memory.max", std::to_string(4 * kGiB));
  put("sys/fs/cgroup/system.slice/slurmstepd.scope/job_42/memory.current", std::to_string(kGiB));
  put(job + "memory.max", "max\n");
  put(job + "memory.current", std::to_string(kGiB / 2));
  EXPECT_EQ(available_memory_bytes(root()), 3 * kGiB);
}

TEST_F(SystemLimits, PageCacheTheKernelCanDropCountsAsFree) {
  machine_with_free_gib(20);
  put("proc/self/cgroup", "0::/job\n");
  put("sys/fs/cgroup/job/memory.max", std::to_string(4 * kGiB));
  // 3.5 GiB charged, 2 GiB of it inactive file pages (inputs just read, outputs written).
  put("sys/fs/cgroup/job/memory.current", std::to_string(3 * kGiB + kGiB / 2));
  put("sys/fs/cgroup/job/memory.stat",
      "anon 1610612736\nfile 2147483648\ninactive_file " + std::to_string(2 * kGiB) + "\n");
  EXPECT_EQ(available_memory_bytes(root()), 2 * kGiB + kGiB / 2);
}

TEST_F(SystemLimits, TheTightestLevelWinsAndTheMachineCapsThemAll) {
  machine_with_free_gib(2);
  put("proc/self/cgroup", "0::/outer/inner\n");
  put("sys/fs/cgroup/outer/memory.max", std::to_string(8 * kGiB));
  put("sys/fs/cgroup/outer/memory.current", std::to_string(7 * kGiB));  // 1 GiB left here
  put("sys/fs/cgroup/outer/inner/memory.max", std::to_string(6 * kGiB));
  put("sys/fs/cgroup/outer/inner/memory.current", std::to_string(kGiB));  // 5 GiB left
  EXPECT_EQ(available_memory_bytes(root()), kGiB);
  machine_with_free_gib(0);  // MemAvailable 0 means the machine has nothing left
  put("sys/fs/cgroup/outer/memory.current", std::to_string(kGiB));
  EXPECT_EQ(available_memory_bytes(root()), 5 * kGiB);
}

TEST_F(SystemLimits, CgroupV1MemoryWithHierarchicalCache) {
  machine_with_free_gib(20);
  put("proc/self/cgroup",
      "12:cpu,cpuacct:/slurm/uid_0/job_7\n9:memory:/slurm/uid_0/job_7\n1:name=systemd:/\n");
  const std::string job = "sys/fs/cgroup/memory/slurm/uid_0/job_7/";
  put(job + "memory.limit_in_bytes", std::to_string(2 * kGiB));
  put(job + "memory.usage_in_bytes", std::to_string(kGiB + kGiB / 2));
  put(job + "memory.stat",
      "cache 1000\ninactive_file 1\ntotal_inactive_file " + std::to_string(kGiB / 2) + "\n");
  // The root's "no limit" is the largest page-aligned number, not a limit.
  put("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
  put("sys/fs/cgroup/memory/memory.usage_in_bytes", std::to_string(10 * kGiB));
  EXPECT_EQ(available_memory_bytes(root()), kGiB);
}

TEST_F(SystemLimits, AContainersOwnCgroupMountedAsTheRoot) {
  // Docker without a cgroup namespace: /proc/self/cgroup names the host's path, the container
  // sees its own cgroup at the mount's root.
  machine_with_free_gib(20);
  put("proc/self/cgroup", "0::/docker/0123abcd\n");
  put("sys/fs/cgroup/memory.max", std::to_string(3 * kGiB));
  put("sys/fs/cgroup/memory.current", std::to_string(kGiB));
  EXPECT_EQ(available_memory_bytes(root()), 2 * kGiB);
}

TEST_F(SystemLimits, ThreadsFollowTheAffinityWithoutAQuota) {
  put("proc/self/cgroup", "0::/job\n");
  put("sys/fs/cgroup/job/cpu.max", "max 100000\n");
  const CpuBudget budget = cpu_budget(6, root());
  EXPECT_EQ(budget.cpus, 6);
  EXPECT_EQ(budget.source, "CPU affinity");
  EXPECT_EQ(cpu_budget(0, root()).cpus, 1);
}

TEST_F(SystemLimits, AKubernetesCpuLimitCapsTheThreads) {
  // A pod limited to 4 CPUs on a 64-core host: 4 threads, not 64.
  put("proc/self/cgroup", "0::/kubepods/pod1/container\n");
  put("sys/fs/cgroup/kubepods/pod1/cpu.max", "800000 100000\n");
  put("sys/fs/cgroup/kubepods/pod1/container/cpu.max", "400000 100000\n");
  const CpuBudget budget = cpu_budget(64, root());
  EXPECT_EQ(budget.cpus, 4);
  EXPECT_EQ(budget.source, "cgroup CPU quota of 4 CPUs");
  // A fractional quota is rounded up; a quota above the affinity changes nothing.
  put("sys/fs/cgroup/kubepods/pod1/container/cpu.max", "250000 100000\n");
  EXPECT_EQ(cpu_budget(64, root()).cpus, 3);
  EXPECT_EQ(cpu_budget(2, root()).cpus, 2);
  EXPECT_EQ(cpu_budget(2, root()).source, "CPU affinity");
  // Half a CPU still gets one thread.
  put("sys/fs/cgroup/kubepods/pod1/container/cpu.max", "50000 100000\n");
  EXPECT_EQ(cpu_budget(64, root()).cpus, 1);
}

TEST_F(SystemLimits, CgroupV1CpuQuota) {
  put("proc/self/cgroup", "4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n");
  put("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "200000\n");
  put("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
  put("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
  put("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(cpu_budget(16, root()).cpus, 2);
}

TEST(UsableCpus, AtMostTheMachinesAndAtLeastOne) {
  const CpuBudget budget = usable_cpus();
  EXPECT_GE(budget.cpus, 1);
  EXPECT_FALSE(budget.source.empty());
}

}  // namespace
}  // namespace nst
