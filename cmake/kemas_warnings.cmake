# Warnings for our own targets only; third-party headers come in as SYSTEM includes.
add_library(kemas_warnings INTERFACE)
target_compile_options(kemas_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual)
option(KEMAS_WERROR "Treat warnings in kemas code as errors" OFF)
if(KEMAS_WERROR)
  target_compile_options(kemas_warnings INTERFACE -Werror)
endif()
