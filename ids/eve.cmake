# vigil_ids_eve: EVE JSON alert records (eve_record.h), their formatting (eve_format.h) and the
# writer thread fed by workers through an rte_ring, with its file and syslog sinks (eve_writer.h).
find_package(Threads REQUIRED)
add_library(vigil_ids_eve STATIC
  ${CMAKE_CURRENT_LIST_DIR}/eve_format.cc
  ${CMAKE_CURRENT_LIST_DIR}/eve_writer.cc)
target_link_libraries(vigil_ids_eve PUBLIC PkgConfig::DPDK Threads::Threads)
