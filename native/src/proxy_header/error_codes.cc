#include "proxy_header/error_codes.h"

namespace mmproxy::pp {
namespace {

struct Entry {
  const char* code;
  const char* message;
};

// Indexed by ErrorCode: kNone first, then the X-macro list in order.
constexpr Entry kEntries[] = {{"OK", "no error"},
#define MMPROXY_PP_ENTRY(name, code, message) {code, message},
                              MMPROXY_PP_ERRORS(MMPROXY_PP_ENTRY)
#undef MMPROXY_PP_ENTRY
};
static_assert(sizeof kEntries / sizeof kEntries[0] == kErrorCodeCount, "one entry per ErrorCode");

const Entry& Lookup(ErrorCode error) {
  const auto index = static_cast<size_t>(error);
  return kEntries[index < kErrorCodeCount ? index : 0];
}

}  // namespace

const char* ErrorCodeName(ErrorCode error) { return Lookup(error).code; }
const char* ErrorMessage(ErrorCode error) { return Lookup(error).message; }

}  // namespace mmproxy::pp
