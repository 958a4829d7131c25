// corsd-bench's scenarios as Envoy's ext_authz filter would send them: an
// envoy.service.auth.v3.CheckRequest carrying the whole header map of a
// browser request (about fifteen headers, pseudo-headers included), the
// tenant in context_extensions, the host in :authority.
#ifndef CORSD_BENCH_LOAD_ENVOY_REQUESTS_H_
#define CORSD_BENCH_LOAD_ENVOY_REQUESTS_H_

#include "corsd/v1/corsd.pb.h"
#include "envoy/service/auth/v3/external_auth.pb.h"

namespace corsd::bench {

envoy::service::auth::v3::CheckRequest EnvoyShaped(const v1::CheckRequest& request);

}  // namespace corsd::bench

#endif  // CORSD_BENCH_LOAD_ENVOY_REQUESTS_H_
