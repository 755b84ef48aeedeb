{
  # Every .cc file under native/src is part of the addon: each part registers
  # itself (see native/src/addon/registry.h), so adding a part edits no list.
  "targets": [
    {
      "target_name": "mmproxy_native",
      "sources": ["<!@(find native/src -name '*.cc' | sort)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/src"],
      "defines": ["NAPI_VERSION=9", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fexceptions", "-fvisibility=hidden"],
      "conditions": [
        ["OS!='linux'", { "sources": [] }]
      ],
      "variables": { "sanitize%": "" },
      "target_conditions": [
        ["sanitize!=''", {
          "cflags_cc": ["-fsanitize=<(sanitize)", "-fno-omit-frame-pointer", "-g"],
          "ldflags": ["-fsanitize=<(sanitize)"]
        }]
      ]
    }
  ]
}
