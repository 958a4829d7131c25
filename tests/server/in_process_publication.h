// The parts of corsd that publish policies, in-process over a given store:
// the registry Check reads, the hub watchers read, and the PolicySync that
// fills both. For tests of publication without a gRPC server.
//
//   InProcessPublication published(&store);
//   ASSERT_TRUE(published.sync.LoadAll().ok());
//   published.tenants.Read().FindByName("shop");
#ifndef CORSD_TESTS_SERVER_IN_PROCESS_PUBLICATION_H_
#define CORSD_TESTS_SERVER_IN_PROCESS_PUBLICATION_H_

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/engine/tenant_directory.h"
#include "service/ops/metrics.h"
#include "service/server/policy_sync.h"
#include "service/server/server_metrics.h"
#include "service/server/watch_hub.h"
#include "service/store/policy_store.h"

namespace corsd::server {

struct InProcessPublication {
  explicit InProcessPublication(store::PolicyStore* store, PolicySyncHooks hooks = {})
      : sync(store, &tenants, &hub, &metrics, std::move(hooks)) {}

  ops::MetricsRegistry metrics_registry;
  ServerMetrics metrics{&metrics_registry};
  engine::TenantRegistry tenants;
  WatchHub hub;
  PolicySync sync;
};

// The PolicyEvent a watcher would receive.
inline v1::PolicyEvent DecodeWatchEvent(const WatchEventPtr& event) {
  v1::PolicyEvent decoded;
  EXPECT_TRUE(decoded.ParseFromString(WatchEventBytes(*event)));
  return decoded;
}

}  // namespace corsd::server

#endif  // CORSD_TESTS_SERVER_IN_PROCESS_PUBLICATION_H_
