// A TCP port on 127.0.0.1 that was free a moment ago, for programs that
// cannot bind port 0 and report back (PostgreSQL, chromedriver, the page
// servers of the browser test). Another process may take it before the
// caller binds it; callers that can use port 0 should.
#ifndef CORSD_TESTS_SUPPORT_LOOPBACK_PORT_H_
#define CORSD_TESTS_SUPPORT_LOOPBACK_PORT_H_

namespace corsd::testing {

int FreeLoopbackPort();

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_LOOPBACK_PORT_H_
