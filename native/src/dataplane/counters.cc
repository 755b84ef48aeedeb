#include "dataplane/counters.h"

namespace mmproxy::dataplane {

const char* FailureLabel(Failure failure) {
  static constexpr const char* kLabels[] = {
#define MMPROXY_FAILURE_LABEL(name, label) label,
      MMPROXY_FAILURES(MMPROXY_FAILURE_LABEL)
#undef MMPROXY_FAILURE_LABEL
  };
  return kLabels[static_cast<size_t>(failure)];
}

}  // namespace mmproxy::dataplane
