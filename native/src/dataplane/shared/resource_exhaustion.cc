#include "dataplane/shared/resource_exhaustion.h"

#include <cerrno>

namespace mmproxy::dataplane {

bool OutOfResources(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

}  // namespace mmproxy::dataplane
