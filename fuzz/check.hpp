#pragma once
// An invariant a fuzz target asserts. Unlike assert() it stays on in the RelWithDebInfo build (NDEBUG), and the
// abort makes libFuzzer save the input that broke it as a crash.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                   \
  do {                                                                                          \
    if (!(condition)) {                                                                         \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                             \
    }                                                                                           \
  } while (false)
