// TLS record and handshake recognition for tls.sni and for bypassing encrypted flows: the
// ClientHello's server_name, and helpers that recognise ServerHello, ChangeCipherSpec and
// application data records. No allocation; the SNI goes into fixed storage (truncation is
// flagged). Any bytes may come in: every length is checked against what is present.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil::ids {

inline constexpr uint32_t kTlsRecordHeaderLen = 5;
inline constexpr uint32_t kTlsMaxRecordLen = 16384 + 2048;  // TLSCiphertext limit (RFC 5246 6.2.3)
inline constexpr uint32_t kTlsMaxSni = 255;
// A ClientHello split over several records is gathered into a stack buffer of this size.
inline constexpr uint32_t kTlsMaxFragmentedHello = 8192;

inline constexpr uint8_t kTlsChangeCipherSpec = 20;
inline constexpr uint8_t kTlsAlert = 21;
inline constexpr uint8_t kTlsHandshake = 22;
inline constexpr uint8_t kTlsApplicationData = 23;

enum class TlsParse : uint8_t { kNotTls, kIncomplete, kClientHello, kError };

namespace tls_error {
inline constexpr char kBadRecordLength[] = "record length out of range";
inline constexpr char kNotClientHello[] = "handshake is not a ClientHello";
inline constexpr char kBadHello[] = "malformed ClientHello";
inline constexpr char kBadExtensions[] = "malformed extensions";
inline constexpr char kHelloTooLarge[] = "fragmented ClientHello too large";
inline constexpr char kBadFragment[] = "ClientHello continues in a non-handshake record";
}  // namespace tls_error

struct TlsRecordHeader {
  uint8_t type;
  uint16_t version;
  uint16_t length;
};

// SSL 3.0 to TLS 1.3 (0x0300..0x0304).
inline bool tls_valid_version(uint16_t v) {
  return v >= 0x0300 && v <= 0x0304;
}

// Reads a record header; false when fewer than 5 bytes or the version is not SSL3/TLS.
bool tls_record_header(const uint8_t* data, uint32_t len, TlsRecordHeader& out);

struct TlsClientHello {
  uint16_t record_version;
  uint16_t client_version;  // legacy_version of the hello
  uint8_t session_id_len;
  uint16_t n_cipher_suites;
  uint16_t n_extensions;
  bool has_sni;              // a server_name extension with a host_name entry
  char sni[kTlsMaxSni + 1];  // NUL-terminated, bytes as sent
  uint16_t sni_len;
  bool sni_truncated;
  uint32_t consumed;  // bytes of the record(s) that carried the ClientHello
  const char* error;  // a tls_error constant when kError

  std::string_view sni_view() const { return {sni, sni_len}; }
};

// Parses a ClientHello at the start of data (record header first). kNotTls when the first
// bytes are not a TLS handshake record header (or a prefix of one), kIncomplete when the
// record(s) holding the hello are not all present, kClientHello when parsed (sni may be
// empty), kError when it is a handshake record but not a well-formed ClientHello.
TlsParse parse_tls_client_hello(const uint8_t* data, uint32_t len, TlsClientHello& out);

// Record type 23 with a valid version (5 header bytes needed).
bool tls_is_application_data(const uint8_t* data, uint32_t len);
// Handshake record whose first message is a ServerHello (type 2); 6 bytes needed.
bool tls_is_server_hello(const uint8_t* data, uint32_t len);
// ChangeCipherSpec record: type 20, valid version, length 1, value 1.
bool tls_is_change_cipher_spec(const uint8_t* data, uint32_t len);

}  // namespace vigil::ids
