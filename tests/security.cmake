# Security tests. test_hostile_server needs no real shard: a fake MySQL server
# (tests/security/fake_mysql_server.py, /usr/bin/python3 stdlib) asks txetl for /etc/passwd and
# must receive nothing.
add_executable(test_hostile_server ${CMAKE_CURRENT_SOURCE_DIR}/security/test_hostile_server.c)
target_include_directories(test_hostile_server PRIVATE ${CMAKE_SOURCE_DIR}/include
                           ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/src/store)
target_link_libraries(test_hostile_server PRIVATE tx_store tx_util tx_flags)
add_test(NAME hostile_server_gets_no_local_file
         COMMAND test_hostile_server ${CMAKE_CURRENT_SOURCE_DIR}/security/fake_mysql_server.py
                 ${TX_TEST_WORK}/hostile-server)
set_tests_properties(hostile_server_gets_no_local_file PROPERTIES LABELS security TIMEOUT 120)

# TLS and least privileges against one shard of their own (tests/security/
# shard_security_test.sh): fixture security_shard (certificates, shard with --tls, the
# txetl_loader role of sql/grants.sql).
set(_tx_sec_sh ${CMAKE_CURRENT_SOURCE_DIR}/security/shard_security_test.sh)
set(_tx_sec_work ${TX_TEST_WORK}/security-shard)
foreach(mode up tls wrong_ca grants down)
  set(name security_shard_${mode})
  if(mode STREQUAL tls)
    set(name tls_status_encrypted_with_verified_cert)
  elseif(mode STREQUAL wrong_ca)
    set(name tls_wrong_ca_fails_clearly)
  elseif(mode STREQUAL grants)
    set(name grants_least_privilege_load)
  endif()
  add_test(NAME ${name}
           COMMAND ${TX_BASH} ${_tx_sec_sh} ${mode} ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
                   ${_tx_sec_work})
  set_tests_properties(${name} PROPERTIES TIMEOUT 240 LABELS "security;integration"
                       RESOURCE_LOCK security_shard)
  if(mode STREQUAL up)
    set_tests_properties(${name} PROPERTIES FIXTURES_SETUP security_shard)
  elseif(mode STREQUAL down)
    set_tests_properties(${name} PROPERTIES FIXTURES_CLEANUP security_shard)
  else()
    set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED security_shard)
  endif()
endforeach()

# The shard file's group count agrees with what the client library reads (no [shard01]).
tx_add_unit_test(test_shardfile SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/security/test_shardfile.c
                 LIBS tx_store tx_util)
set_tests_properties(test_shardfile PROPERTIES LABELS security)
