// google.protobuf.Timestamp <-> absl::Time, at microsecond precision (what
// the store keeps). Thread-safe, no allocation.
#ifndef CORSD_SERVICE_CONVERT_TIME_CONVERT_H_
#define CORSD_SERVICE_CONVERT_TIME_CONVERT_H_

#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"

namespace corsd {

inline void ToTimestamp(absl::Time time, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(time);
  out->set_seconds(micros / 1'000'000);
  out->set_nanos(static_cast<int32_t>(micros % 1'000'000) * 1000);
}

inline absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

}  // namespace corsd

#endif  // CORSD_SERVICE_CONVERT_TIME_CONVERT_H_
