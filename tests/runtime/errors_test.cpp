// Errors as the user reads them.
#include <gtest/gtest.h>

#include <cerrno>
#include <system_error>

#include "runtime/log.hpp"

// std::thread's failure says only "Resource temporarily unavailable"; the user is told what
// ran out and where to look.
TEST(Errors, ThreadCreationFailureNamesTheLimit) {
  std::system_error e(EAGAIN, std::generic_category());
  std::string text = ossa::log::describe(e);
  EXPECT_NE(text.find("cannot start a thread"), std::string::npos) << text;
  EXPECT_NE(text.find("ulimit -u"), std::string::npos) << text;
  EXPECT_EQ(ossa::log::describe(std::runtime_error("plain")), "plain");
}
