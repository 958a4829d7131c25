#include "tests/support/loopback_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>

namespace corsd::testing {
namespace {

// Whether `port` on 127.0.0.1 can be bound right now (0: let the kernel
// pick); the port bound, or 0.
int BindAndRelease(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int bound = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      bound = ntohs(addr.sin_port);
  }
  close(fd);
  return bound;
}

// The lowest port the kernel hands out by itself (to bind(port 0) and to
// outgoing connections).
int EphemeralLow() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  return range >> low ? low : 32768;
}

}  // namespace

int FreeLoopbackPort() {
  // Below the kernel's ephemeral range: a server that must bind the same
  // port again after a restart (PostgreSQL stopped and started by a test)
  // cannot lose it to a port the kernel gave another test's listener or
  // connection meanwhile. Other tests picking here check with bind too.
  // Above 10080, the highest port Chromium refuses to open.
  constexpr int kLowest = 10100;
  const int high = EphemeralLow() - 1;
  if (high > kLowest + 1000) {
    std::random_device seed;
    std::mt19937 random(seed());
    std::uniform_int_distribution<int> pick(kLowest, high);
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (const int port = BindAndRelease(pick(random)); port != 0) return port;
    }
  }
  return BindAndRelease(0);
}

}  // namespace corsd::testing
