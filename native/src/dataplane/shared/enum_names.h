// The names of an enumeration as JavaScript spells them, indexed by value.
// One list serves both directions (a config string to the enum, the enum to
// an event or flow record) and the addon's export of the list
// (dataplane/binding/contract.cc), which TypeScript's types are tested
// against: a name exists once.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace mmproxy::dataplane {

template <typename Enum, size_t N>
struct EnumNames {
  std::array<const char*, N> names;

  constexpr const char* operator()(Enum value) const { return names[static_cast<size_t>(value)]; }

  // The value named `name`, or nullopt when no value has that name.
  std::optional<Enum> Find(std::string_view name) const {
    for (size_t i = 0; i < N; ++i) {
      if (name == names[i]) return static_cast<Enum>(i);
    }
    return std::nullopt;
  }
};

}  // namespace mmproxy::dataplane
