#include "nst/engine/cuda_driver.h"

#include <dlfcn.h>

#include <cstddef>

namespace nst {
namespace {

// The few entry points of the CUDA driver API used here, with their C signatures (cuda.h's
// handles are opaque pointers and ints). The driver's ABI is stable across its versions; the
// "_v2" names are those cuda.h has mapped the plain names to since CUDA 4 and 11.
using CUresult = int;
using CUdevice = int;
using CUcontext = void*;
constexpr CUresult kSuccess = 0;
constexpr int kComputeCapabilityMajor = 75;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
constexpr int kComputeCapabilityMinor = 76;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR

struct Driver {
  CUresult (*init)(unsigned) = nullptr;
  CUresult (*device_get)(CUdevice*, int) = nullptr;
  CUresult (*device_get_attribute)(int*, int, CUdevice) = nullptr;
  CUresult (*primary_context_retain)(CUcontext*, CUdevice) = nullptr;
  CUresult (*primary_context_release)(CUdevice) = nullptr;
  CUresult (*context_push)(CUcontext) = nullptr;
  CUresult (*context_pop)(CUcontext*) = nullptr;
  CUresult (*memory_info)(size_t*, size_t*) = nullptr;
  bool ready = false;
};

template <typename Function>
bool bind(void* library, const char* name, Function& function) {
  function = reinterpret_cast<Function>(dlsym(library, name));
  return function != nullptr;
}

// Opened once; never closed (LibTorch keeps the same library loaded when it uses CUDA).
const Driver& driver() {
  static const Driver loaded = [] {
    Driver d;
    void* library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) return d;
    d.ready = bind(library, "cuInit", d.init) && bind(library, "cuDeviceGet", d.device_get) &&
              bind(library, "cuDeviceGetAttribute", d.device_get_attribute) &&
              bind(library, "cuDevicePrimaryCtxRetain", d.primary_context_retain) &&
              bind(library, "cuDevicePrimaryCtxRelease_v2", d.primary_context_release) &&
              bind(library, "cuCtxPushCurrent_v2", d.context_push) &&
              bind(library, "cuCtxPopCurrent_v2", d.context_pop) &&
              bind(library, "cuMemGetInfo_v2", d.memory_info) && d.init(0) == kSuccess;
    return d;
  }();
  return loaded;
}

}  // namespace

std::optional<CudaDeviceInfo> cuda_device_info(int index) {
  const Driver& d = driver();
  CUdevice device = 0;
  if (!d.ready || index < 0 || d.device_get(&device, index) != kSuccess) return std::nullopt;
  CudaDeviceInfo info;
  if (d.device_get_attribute(&info.major, kComputeCapabilityMajor, device) != kSuccess ||
      d.device_get_attribute(&info.minor, kComputeCapabilityMinor, device) != kSuccess) {
    return std::nullopt;
  }
  // Memory is asked of a context: the device's primary one, made current on this thread only
  // for the call, so the caller's own CUDA state is left as it was.
  CUcontext context = nullptr;
  if (d.primary_context_retain(&context, device) != kSuccess) return std::nullopt;
  size_t free = 0;
  size_t total = 0;
  bool measured = false;
  if (d.context_push(context) == kSuccess) {
    measured = d.memory_info(&free, &total) == kSuccess;
    CUcontext popped = nullptr;
    d.context_pop(&popped);
  }
  d.primary_context_release(device);
  if (!measured) return std::nullopt;
  info.free_bytes = static_cast<int64_t>(free);
  info.total_bytes = static_cast<int64_t>(total);
  return info;
}

}  // namespace nst
