// prelude.cl: what every kernel file may use; the host puts it before each file's source
// (SharedContext.program), and the portability test passes it with `-include`.

// float16 values passed to functions (OpenCL's builtins: vload16, fma, exp; our inline helpers)
// change the x86 calling convention when the CPU has no AVX-512, and clang warns for each
// (-Wpsabi: PoCL printed "5 warnings generated." for every build on AVX2 CPUs). The functions are
// inlined into the kernels, so no call crosses that boundary: the warning does not apply here.
#ifdef __clang__
#pragma clang diagnostic ignored "-Wpsabi"
#endif

// Runs the statements after count with `i` = get_global_id(0), on every work-item below count:
// the element-wise kernels' body. The host rounds the global size up to whole work-groups, so the
// last group may reach past count. The statements appear twice: for a group wholly below count
// without the bound check, and with it for the last group. PoCL runs a group's work-items as one
// vectorised loop; under a per-item check its loads and stores were masked, and ReLU's backward
// pass moved 22 GB/s against 48 without the check (benchmarks/README.md, issue 36). The group
// test is the same for every work-item of a group, so a GPU takes one branch per group.
#define EACH_ELEMENT(count, ...)                                             \
  {                                                                          \
    if ((get_group_id(0) + 1) * get_local_size(0) <= (size_t)(count)) {     \
      const int i = (int)get_global_id(0);                                   \
      __VA_ARGS__                                                            \
    } else if (get_global_id(0) < (size_t)(count)) {                         \
      const int i = (int)get_global_id(0);                                   \
      __VA_ARGS__                                                            \
    }                                                                        \
  }
