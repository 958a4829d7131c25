// UnparsableRequestInterceptor gives a clean INVALID_ARGUMENT to a call whose
// request bytes do not parse as the method's message (typically a string
// field that is not valid UTF-8, which proto3 refuses). Without it, gRPC's
// synchronous handlers answer such a call with INTERNAL and an empty message,
// which reads like a server bug and tells the caller nothing.
//
//   builder.experimental().SetInterceptorCreators(UnparsableRequestInterceptors());
//
// The interceptor only rewrites the status of a call whose request failed to
// parse (gRPC then never ran the handler); every other call passes through
// untouched.
#ifndef CORSD_SERVICE_SERVER_UNPARSABLE_REQUEST_INTERCEPTOR_H_
#define CORSD_SERVICE_SERVER_UNPARSABLE_REQUEST_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <vector>

namespace corsd::server {

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
UnparsableRequestInterceptors();

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_UNPARSABLE_REQUEST_INTERCEPTOR_H_
