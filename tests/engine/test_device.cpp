#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/types.h>

#include <string>

#include "nst/engine/cuda_driver.h"
#include "nst/engine/device.h"
#include "nst/engine/error.h"
#include "nst/engine/precision.h"

namespace nst {
namespace {

// `parse_device(name)` throws nst::Error(kInvalidOptions) whose message holds `phrase`.
void expect_refused(const std::string& name, const std::string& phrase) {
  try {
    parse_device(name);
    ADD_FAILURE() << "'" << name << "' was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kInvalidOptions);
    EXPECT_NE(std::string(error.what()).find(phrase), std::string::npos) << error.what();
  }
}

TEST(Device, NamesAreAutoCpuCudaOrANumberedCuda) {
  for (const char* name : {"auto", "cpu", "cuda", "cuda:0", "cuda:7", "cuda:15"}) {
    EXPECT_TRUE(is_device_name(name)) << name;
  }
  for (const char* name : {"", "tpu", "gpu", "CUDA", "cuda:", "cuda:-1", "cuda:x", "cuda:1x",
                           "cuda:1234", "cpu:0", " cuda"}) {
    EXPECT_FALSE(is_device_name(name)) << name;
    expect_refused(name, "is not auto, cpu, cuda or cuda:N");
  }
}

TEST(Device, CpuIsAlwaysThere) {
  EXPECT_EQ(parse_device("cpu"), torch::Device(torch::kCPU));
  synchronize(torch::kCPU);  // nothing to wait for
}

TEST(Device, AutoIsTheFirstGpuOrTheCpu) {
  const torch::Device expected =
      torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  EXPECT_EQ(parse_device("auto"), expected);
  EXPECT_EQ(default_device(), expected);
}

TEST(Device, CudaWithoutAGpuSaysSo) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA";
  expect_refused("cuda", "CUDA is not available");
  expect_refused("cuda:1", "CUDA is not available");
}

TEST(Device, CudaDevicesAreNumberedFromZero) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine";
  const auto count = static_cast<int>(torch::cuda::device_count());
  EXPECT_EQ(parse_device("cuda"), torch::Device(torch::kCUDA, 0));
  EXPECT_EQ(parse_device("cuda:" + std::to_string(count - 1)),
            torch::Device(torch::kCUDA, static_cast<torch::DeviceIndex>(count - 1)));
  expect_refused("cuda:" + std::to_string(count), "numbered from 0");
}

TEST(CudaDriver, SaysNothingWithoutAGpu) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA";
  EXPECT_FALSE(cuda_device_info(0).has_value());
  EXPECT_FALSE(cuda_has_native_bf16(0));
}

TEST(CudaDriver, GivesCapabilityAndMemory) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine";
  const auto info = cuda_device_info(0);
  ASSERT_TRUE(info.has_value());
  EXPECT_GE(info->major, 3);
  EXPECT_GT(info->total_bytes, 0);
  EXPECT_GT(info->free_bytes, 0);
  EXPECT_LE(info->free_bytes, info->total_bytes);
  const auto count = static_cast<int>(torch::cuda::device_count());
  EXPECT_FALSE(cuda_device_info(count).has_value());
}

TEST(Precision, AutoIsBfloat16OnGpusThatHaveItElseFloat32AndNeverHalf) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine";
  const torch::Device gpu(torch::kCUDA, 0);
  const auto info = cuda_device_info(0);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(compute_type(Precision::kAuto, gpu),
            info->major >= 8 ? torch::kBFloat16 : torch::kFloat32);
  EXPECT_EQ(compute_type(Precision::kFloat16, gpu), torch::kHalf);
}

}  // namespace
}  // namespace nst
