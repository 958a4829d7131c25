// Runs a program as a child process: either to completion, capturing stdout
// (RunProgram), or in the background (Subprocess) with stderr sent to a file.
// Tests use it to drive the real corsd, corsctl and gateway binaries.
#ifndef CORSD_TESTS_SUPPORT_SUBPROCESS_H_
#define CORSD_TESTS_SUPPORT_SUBPROCESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace corsd::testing {

struct ProgramResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;     // stdout
  std::string err;     // stderr
  absl::Duration took;
};

// Runs argv[0] (a path) with `args`, feeding `input` on stdin, with extra
// environment variables; kills it after `timeout`.
ProgramResult RunProgram(const std::vector<std::string>& argv, const std::string& input = "",
                         const std::map<std::string, std::string>& env = {},
                         absl::Duration timeout = absl::Seconds(60));

// A program that asks before it acts: once its stdout contains `prompt`,
// `answer` runs (the test changes the world while the program waits) and
// what it returns is written to the program's stdin, which is then closed.
struct Conversation {
  std::string prompt;
  std::function<std::string()> answer;
};
ProgramResult RunConversation(const std::vector<std::string>& argv, const Conversation& talk,
                              const std::map<std::string, std::string>& env = {},
                              absl::Duration timeout = absl::Seconds(60));

class Subprocess {
 public:
  // Starts `argv`; stdout and stderr go to `log_path`.
  Subprocess(const std::vector<std::string>& argv, const std::string& log_path,
             const std::map<std::string, std::string>& env = {});
  ~Subprocess();  // SIGKILL if still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void Signal(int signal_number);
  // Waits up to `timeout`; returns the exit code, 128+signal when killed by a
  // signal, or -1 when it is still running.
  int Wait(absl::Duration timeout);

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  bool reaped_ = false;
};

// Directory holding corsd, corsctl, ... (set by CMake for the test binaries).
std::string BinaryDir();
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_SUBPROCESS_H_
