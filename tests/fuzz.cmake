# libFuzzer targets (tests/fuzz/), built when TXETL_FUZZ=ON with clang. The top CMakeLists.txt
# then puts the fuzzer's coverage instrumentation + ASan + UBSan into tx_flags, which every
# library links, so all the code under test is instrumented.
#
#   CC=clang cmake -S . -B build-fuzz -DTXETL_FUZZ=ON
#   cmake --build build-fuzz --target fuzz_record fuzz_shardfile
#   build-fuzz/tests/fuzz/fuzz_record -max_total_time=60 corpus-dir tests/fuzz/corpus/fuzz_record
#
# scripts/test.sh runs each target for a bounded time on a copy of its seed corpus
# (tests/fuzz/corpus/<target>/). The CTest tests fuzz_*_seeds replay the seed corpora only
# (a few ms): a seed that crashes fails the suite even without a fuzzing run.
if(NOT TXETL_FUZZ)
  return() # tests/CMakeLists.txt globs tests/*.cmake: nothing here without the option
endif()

set(TX_FUZZ_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz)
# tx_add_fuzzer(NAME LIBS...): tests/fuzz/NAME.c linked with libFuzzer's main.
function(tx_add_fuzzer name)
  add_executable(${name} ${TX_FUZZ_DIR}/${name}.c)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/fuzz)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(${name} PRIVATE ${ARGN} tx_flags)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()

tx_add_fuzzer(fuzz_record tx_record tx_util)
# fuzz_shardfile: the shard file's group count (tx_store) and the command line (tx_cli).
tx_add_fuzzer(fuzz_shardfile tx_cli tx_store tx_util)

# Replay the seed corpora (no fuzzing): every seed must run clean.
foreach(t fuzz_record fuzz_shardfile)
  add_test(NAME ${t}_seeds COMMAND ${t} -runs=0 ${TX_FUZZ_DIR}/corpus/${t})
  set_tests_properties(${t}_seeds PROPERTIES LABELS fuzz TIMEOUT 120)
endforeach()
