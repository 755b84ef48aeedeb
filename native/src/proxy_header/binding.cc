// parseProxyHeader(bytes) and proxyHeaderErrorCodes() for TypeScript. Typed
// in src/native/native-types.ts; src/proxy-protocol/parse.ts wraps them.
// Values are copied out, so the caller may reuse its buffer at once.
#include <arpa/inet.h>
#include <napi.h>

#include <string>

#include "binding/registry.h"
#include "proxy_header/parser.h"
#include "proxy_header/tlv_types.h"

namespace mmproxy::pp {
namespace {

const char* CommandName(Command command) { return command == Command::kLocal ? "local" : "proxy"; }

const char* FamilyName(Family family) {
  switch (family) {
    case Family::kInet:
      return "inet";
    case Family::kInet6:
      return "inet6";
    case Family::kUnix:
      return "unix";
    case Family::kUnspec:
      break;
  }
  return "unspec";
}

const char* TransportName(Transport transport) {
  switch (transport) {
    case Transport::kStream:
      return "stream";
    case Transport::kDgram:
      return "dgram";
    case Transport::kUnspec:
      break;
  }
  return "unspec";
}

Napi::Buffer<uint8_t> CopyBytes(Napi::Env env, const uint8_t* data, size_t length) {
  return Napi::Buffer<uint8_t>::Copy(env, data, length);
}

Napi::String Text(Napi::Env env, const Tlv& tlv) {
  return Napi::String::New(env, reinterpret_cast<const char*>(tlv.value), tlv.length);
}

Napi::Object InetEndpoint(Napi::Env env, const sockaddr_storage& storage) {
  char text[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (storage.ss_family == AF_INET) {
    const auto& address = reinterpret_cast<const sockaddr_in&>(storage);
    inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
    port = ntohs(address.sin_port);
  } else {
    const auto& address = reinterpret_cast<const sockaddr_in6&>(storage);
    inet_ntop(AF_INET6, &address.sin6_addr, text, sizeof text);
    port = ntohs(address.sin6_port);
  }
  Napi::Object endpoint = Napi::Object::New(env);
  endpoint.Set("address", text);
  endpoint.Set("port", port);
  return endpoint;
}

// The 108-byte field without its NUL padding. An abstract socket keeps its
// leading NUL, as Node's net module writes such paths.
Napi::Object UnixEndpoint(Napi::Env env, const char (&path)[108]) {
  size_t length = sizeof path;
  while (length > 0 && path[length - 1] == '\0') --length;
  Napi::Object endpoint = Napi::Object::New(env);
  endpoint.Set("path", Napi::String::New(env, path, length));
  return endpoint;
}

Napi::Object RawTlv(Napi::Env env, const Tlv& tlv, const char* name) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("type", tlv.type);
  object.Set("name", name != nullptr ? name : "unknown");
  object.Set("value", CopyBytes(env, tlv.value, tlv.length));
  return object;
}

// Spec 2.2.6 names the sub-TLVs; each decodes to one field of `ssl`.
const char* SslFieldName(uint8_t type) {
  switch (type) {
    case tlv::kSslVersion:
      return "version";
    case tlv::kSslCn:
      return "cn";
    case tlv::kSslCipher:
      return "cipher";
    case tlv::kSslSigAlg:
      return "sigAlg";
    case tlv::kSslKeyAlg:
      return "keyAlg";
    case tlv::kSslGroup:
      return "group";
    case tlv::kSslSigScheme:
      return "sigScheme";
    default:
      return nullptr;
  }
}

uint32_t ReadBigEndian32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

Napi::Object SslInfo(Napi::Env env, const Tlv& ssl) {
  Napi::Object info = Napi::Object::New(env);
  const uint8_t client = ssl.value[0];
  info.Set("client", client);
  info.Set("verify", ReadBigEndian32(ssl.value + 1));
  info.Set("clientSsl", (client & tlv::kClientSsl) != 0);
  info.Set("clientCertConn", (client & tlv::kClientCertConn) != 0);
  info.Set("clientCertSess", (client & tlv::kClientCertSess) != 0);
  Napi::Array subs = Napi::Array::New(env);
  TlvReader reader(ssl.value + tlv::kSslFixedLength, ssl.length - tlv::kSslFixedLength);
  Tlv sub;
  while (reader.Next(&sub)) {
    subs.Set(subs.Length(), RawTlv(env, sub, tlv::SslSubTlvName(sub.type)));
    if (const char* field = SslFieldName(sub.type)) info.Set(field, Text(env, sub));
    if (sub.type == tlv::kSslClientCert) info.Set("clientCert", CopyBytes(env, sub.value, sub.length));
  }
  info.Set("tlvs", subs);
  return info;
}

Napi::Object DecodedTlv(Napi::Env env, const Tlv& tlv) {
  Napi::Object object = RawTlv(env, tlv, tlv::TlvName(tlv.type));
  switch (tlv.type) {
    case tlv::kAlpn:
      object.Set("alpn", Text(env, tlv));
      break;
    case tlv::kAuthority:
      object.Set("authority", Text(env, tlv));
      break;
    case tlv::kCrc32c:
      object.Set("crc32c", ReadBigEndian32(tlv.value));
      break;
    case tlv::kUniqueId:
      object.Set("uniqueId", CopyBytes(env, tlv.value, tlv.length));
      break;
    case tlv::kSsl:
      object.Set("ssl", SslInfo(env, tlv));
      break;
    case tlv::kNetns:
      object.Set("netns", Text(env, tlv));
      break;
    default:
      break;
  }
  return object;
}

Napi::Object HeaderObject(Napi::Env env, const uint8_t* data, const Header& header) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("version", header.version);
  object.Set("command", CommandName(header.command));
  object.Set("family", FamilyName(header.family));
  object.Set("transport", TransportName(header.transport));
  if (header.family == Family::kInet || header.family == Family::kInet6) {
    object.Set("source", InetEndpoint(env, header.source));
    object.Set("destination", InetEndpoint(env, header.destination));
  } else if (header.family == Family::kUnix) {
    object.Set("source", UnixEndpoint(env, header.source_path));
    object.Set("destination", UnixEndpoint(env, header.destination_path));
  }
  Napi::Array tlvs = Napi::Array::New(env);
  TlvReader reader(data + header.tlv_offset, header.tlv_length);
  Tlv tlv;
  while (reader.Next(&tlv)) tlvs.Set(tlvs.Length(), DecodedTlv(env, tlv));
  object.Set("tlvs", tlvs);
  return object;
}

// TypeScript checks the argument first; this keeps a direct caller from
// crashing the process.
Napi::Uint8Array BytesArgument(const Napi::CallbackInfo& info, const char* function) {
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), std::string(function) + " expects a Buffer or Uint8Array");
  }
  return info[0].As<Napi::Uint8Array>();
}

Napi::Value ParseProxyHeader(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Uint8Array bytes = BytesArgument(info, "parseProxyHeader");
  Header header;
  const ParseResult result = Parse(bytes.Data(), bytes.ElementLength(), &header);
  Napi::Object out = Napi::Object::New(env);
  switch (result.status) {
    case Status::kNeedMore:
      out.Set("status", "need_more");
      break;
    case Status::kError:
      out.Set("status", "error");
      out.Set("code", ErrorCodeName(result.error));
      out.Set("message", ErrorMessage(result.error));
      break;
    case Status::kComplete:
      out.Set("status", "complete");
      out.Set("length", static_cast<double>(header.length));
      out.Set("header", HeaderObject(env, bytes.Data(), header));
      break;
  }
  return out;
}

Napi::Value ProxyHeaderErrorCodes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array codes = Napi::Array::New(env);
  for (size_t i = 1; i < kErrorCodeCount; ++i) {
    const auto error = static_cast<ErrorCode>(i);
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("code", ErrorCodeName(error));
    entry.Set("message", ErrorMessage(error));
    codes.Set(codes.Length(), entry);
  }
  return codes;
}

// The checksum the parser verifies, exposed so tests can hold it to known
// vectors and to the independent TypeScript implementation.
Napi::Value ProxyHeaderCrc32c(const Napi::CallbackInfo& info) {
  const Napi::Uint8Array bytes = BytesArgument(info, "proxyHeaderCrc32c");
  return Napi::Number::New(info.Env(), Crc32c(bytes.Data(), bytes.ElementLength()));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("proxyHeaderCrc32c", Napi::Function::New(env, ProxyHeaderCrc32c, "proxyHeaderCrc32c"));
  exports.Set("parseProxyHeader", Napi::Function::New(env, ParseProxyHeader, "parseProxyHeader"));
  exports.Set("proxyHeaderErrorCodes",
              Napi::Function::New(env, ProxyHeaderErrorCodes, "proxyHeaderErrorCodes"));
}

const RegisterExports registered(Init);

}  // namespace
}  // namespace mmproxy::pp
