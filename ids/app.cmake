# TCP stream reassembly and app-layer parsers (HTTP, DNS, TLS, protocol detection): plain C++,
# no DPDK or Hyperscan, so the parsers are tested and fuzzed on their own.
add_library(vigil_ids_app STATIC
  ${CMAKE_CURRENT_LIST_DIR}/stream_reassembly.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_parser.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_request.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_response.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_uri.cc
  ${CMAKE_CURRENT_LIST_DIR}/dns_parser.cc
  ${CMAKE_CURRENT_LIST_DIR}/tls_parser.cc
  ${CMAKE_CURRENT_LIST_DIR}/app_detect.cc)
