// A model of what a browser does with corsd's answers, written from the WHATWG
// Fetch standard's "CORS check" and "CORS-preflight fetch" steps. Engine,
// client and end-to-end tests use it to prove that every ALLOW answer would
// really let the request through and every DENY answer would really stop it.
#ifndef CORSD_TESTS_SUPPORT_BROWSER_MODEL_H_
#define CORSD_TESTS_SUPPORT_BROWSER_MODEL_H_

#include <string>
#include <utility>
#include <vector>

namespace corsd::testing {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct BrowserRequest {
  std::string origin;                       // serialized request origin
  std::string method;                       // the method the page wants to use
  std::vector<std::string> unsafe_headers;  // CORS-unsafe request-header names
  bool include_credentials = false;         // credentials mode "include"
  bool private_network = false;             // target is on a more private network
};

// Fetch "CORS check": would the browser expose a response carrying `headers`?
bool PassesCorsCheck(const BrowserRequest& request, const HeaderList& headers);

// Fetch "CORS-preflight fetch" (plus the Private Network Access addition):
// would the browser accept this preflight answer and go on to send the
// request?
bool PassesPreflight(const BrowserRequest& request, int status, const HeaderList& headers);

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_BROWSER_MODEL_H_
