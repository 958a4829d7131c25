#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/time/clock.h"

namespace corsd::testing {
namespace {

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

void ApplyEnvironment(const std::map<std::string, std::string>& env) {
  for (const auto& [key, value] : env) {
    if (value.empty()) {
      unsetenv(key.c_str());
    } else {
      setenv(key.c_str(), value.c_str(), 1);
    }
  }
}

// In the child: restore default signal handling the test runner may have
// changed (corsd relies on sigwait with a fresh mask).
void ResetSignals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
}

// In the child, once stdin/stdout/stderr are in place.
[[noreturn]] void ExecInChild(const std::vector<std::string>& argv,
                              const std::map<std::string, std::string>& env) {
  ResetSignals();
  ApplyEnvironment(env);
  std::vector<char*> args = CStrings(argv);
  execv(args[0], args.data());
  fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
  _exit(127);
}

}  // namespace

std::string BinaryDir() { return CORSD_BINARY_DIR; }

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {

// RunProgram and RunConversation: `input` is written at once, or, with
// `talk`, what its answer returns once stdout shows its prompt.
ProgramResult Run(const std::vector<std::string>& argv, std::string input, const Conversation* talk,
                  const std::map<std::string, std::string>& env, absl::Duration timeout) {
  ProgramResult result;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0 || pipe(err_pipe) != 0) return result;
  const absl::Time start = absl::Now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      close(fd);
    }
    ExecInChild(argv, env);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  // Feed stdin and drain both outputs without deadlocking on full pipes.
  size_t written = 0;
  bool waiting_for_prompt = talk != nullptr;
  if (input.empty() && !waiting_for_prompt) close(in_pipe[1]);
  fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  bool in_open = !input.empty(), out_open = true, err_open = true;
  char buffer[65536];
  while (out_open || err_open) {
    const absl::Duration left = timeout - (absl::Now() - start);
    if (left <= absl::ZeroDuration()) {
      kill(pid, SIGKILL);
      break;
    }
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out_pipe[0], POLLIN, 0});
    if (err_open) fds.push_back({err_pipe[0], POLLIN, 0});
    if (in_open) fds.push_back({in_pipe[1], POLLOUT, 0});
    poll(fds.data(), fds.size(), static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in_pipe[1]) {
        ssize_t n = write(p.fd, input.data() + written, input.size() - written);
        if (n > 0) written += n;
        if (n < 0 || written == input.size()) {
          close(in_pipe[1]);
          in_open = false;
        }
        continue;
      }
      ssize_t n = read(p.fd, buffer, sizeof buffer);
      if (n <= 0) {
        (p.fd == out_pipe[0] ? out_open : err_open) = false;
        continue;
      }
      (p.fd == out_pipe[0] ? result.out : result.err).append(buffer, n);
      if (waiting_for_prompt && result.out.find(talk->prompt) != std::string::npos) {
        waiting_for_prompt = false;
        input = talk->answer();
        in_open = !input.empty();
        if (!in_open) close(in_pipe[1]);
      }
    }
  }
  if (waiting_for_prompt) close(in_pipe[1]);
  if (in_open) close(in_pipe[1]);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.took = absl::Now() - start;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace

ProgramResult RunProgram(const std::vector<std::string>& argv, const std::string& input,
                         const std::map<std::string, std::string>& env, absl::Duration timeout) {
  return Run(argv, input, nullptr, env, timeout);
}

ProgramResult RunConversation(const std::vector<std::string>& argv, const Conversation& talk,
                              const std::map<std::string, std::string>& env,
                              absl::Duration timeout) {
  return Run(argv, "", &talk, env, timeout);
}

Subprocess::Subprocess(const std::vector<std::string>& argv, const std::string& log_path,
                       const std::map<std::string, std::string>& env) {
  // A test that crashes or is killed by ctest's timeout must not leave its
  // servers running. The kernel ties PR_SET_PDEATHSIG to the thread that
  // forked, not the process, so only children of the main thread get it
  // (a server started from a helper thread would die with that thread).
  const pid_t parent = getpid();
  const bool from_main_thread = gettid() == parent;
  pid_ = fork();
  if (pid_ == 0) {
    if (from_main_thread) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);  // the test died before prctl
    }
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    ExecInChild(argv, env);
  }
}

Subprocess::~Subprocess() {
  if (running()) {
    kill(pid_, SIGKILL);
    Wait(absl::Seconds(10));
  }
}

bool Subprocess::running() {
  if (reaped_ || pid_ <= 0) return false;
  int status;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = status;
    return false;
  }
  return true;
}

void Subprocess::Signal(int signal_number) {
  if (running()) kill(pid_, signal_number);
}

int Subprocess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (running()) {
    if (absl::Now() > deadline) return -1;
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

}  // namespace corsd::testing
