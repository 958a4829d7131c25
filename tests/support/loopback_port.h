// A TCP port on 127.0.0.1 that was free a moment ago, for programs that
// cannot bind port 0 and report back (PostgreSQL, chromedriver, the page
// servers of the browser test). It is picked below the kernel's ephemeral
// range (where that leaves room; else it is one the kernel chose), so no
// kernel-chosen port (another test's port 0, an outgoing
// connection) takes it when the program lets it go and binds it again.
// Another process may still take it before the caller binds it; callers
// that can use port 0 should.
#ifndef CORSD_TESTS_SUPPORT_LOOPBACK_PORT_H_
#define CORSD_TESTS_SUPPORT_LOOPBACK_PORT_H_

namespace corsd::testing {

int FreeLoopbackPort();

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_LOOPBACK_PORT_H_
