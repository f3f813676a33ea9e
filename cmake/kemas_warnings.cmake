# Warnings for our own targets only; third-party headers come in as SYSTEM includes.
add_library(kemas_warnings INTERFACE)
target_compile_options(kemas_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  # GCC 12 reports Asio's awaitable frames (their own operator new/delete) as mismatched
  # allocation: a false positive of the compiler, not of our code.
  -Wno-mismatched-new-delete)
option(KEMAS_WERROR "Treat warnings in kemas code as errors" OFF)
if(KEMAS_WERROR)
  target_compile_options(kemas_warnings INTERFACE -Werror)
endif()
