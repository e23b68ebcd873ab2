#pragma once

#include <string>

namespace nst {

/// The kernel set ("core") OpenBLAS chose for this CPU, e.g. "SkylakeX", or "" when the BLAS
/// in use is not OpenBLAS.
std::string openblas_core();

/// The OpenBLAS core to ask for instead of `current` on this CPU, or "" to keep `current`.
/// OpenBLAS chooses by CPU model, and a version older than the CPU falls back to its oldest x86-64
/// kernels ("Prescott", SSE3): Debian 12's 0.3.21 does so on Intel Xeons of model 207, where
/// Gram matrices then ran 4–5× slower than with its AVX-512 kernels. Only such pre-AVX2 choices
/// are replaced, by "SkylakeX" where the CPU has AVX-512 (F, CD, BW, DQ, VL) and "Haswell" where
/// it has AVX2 and FMA; a choice OpenBLAS made knowingly is left alone.
std::string better_openblas_core(const std::string& current);

/// OpenBLAS reads its core from OPENBLAS_CORETYPE once, when the library is loaded, before
/// `main`: when `better_openblas_core` names one and the variable is unset, sets it and
/// replaces the process with a fresh run of the same program and arguments (execv of the file
/// /proc/self/exe points to). Returns when nothing needs doing or the re-execution fails.
void reexec_for_openblas_core(char** argv);

}  // namespace nst
