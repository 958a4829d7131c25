// Retention: what `corsd compact` does once and `corsd serve --keep-*` does
// every compact_interval. Deletes policy revisions beyond the newest N of
// each tenant, audit events and change-feed rows older than their windows,
// and logs and counts what went. Change-feed rows must outlive the time a
// replica may be cut off; one that was cut off longer reloads everything
// (PolicySync), so a short window costs a reload, never a lost change.
//
//   Compactor compactor(store, {.policy_revisions = 1000}, absl::Hours(1), &metrics);
//   ...   // compacts every hour on its own thread until destroyed
#ifndef CORSD_SERVICE_SERVER_COMPACTOR_H_
#define CORSD_SERVICE_SERVER_COMPACTOR_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/server/server_metrics.h"
#include "service/store/policy_store.h"

namespace corsd::server {

// One compaction as `actor`, logged ("compacted"); counted when `metrics`
// is set.
absl::StatusOr<store::CompactionReport> CompactNow(store::PolicyStore* store,
                                                   const store::Retention& keep,
                                                   absl::string_view actor,
                                                   ServerMetrics* metrics = nullptr);

// True when `keep` deletes anything at all (some limit is set).
bool RetentionLimitsAnything(const store::Retention& keep);

class Compactor {
 public:
  Compactor(store::PolicyStore* store, store::Retention keep, absl::Duration interval,
            ServerMetrics* metrics);
  // Stops the thread; a compaction in progress finishes first.
  ~Compactor();

 private:
  void Loop();

  store::PolicyStore* const store_;
  const store::Retention keep_;
  const absl::Duration interval_;
  ServerMetrics* const metrics_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_COMPACTOR_H_
