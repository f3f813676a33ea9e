# kemas_library(<name> <folders> [PUBLIC deps...] [PRIVATE deps...] [SOURCES files...])
#
# One static library per area of the tree (domain, each adapters/<area>, app, workers, test
# support). <folders> is one folder or a ;-list; its sources are every .cpp under them
# (recursively) unless SOURCES names them.
#
# The layers are enforced by the build, not by a grep: no target has the project root on its
# include path. Each library gets an include root of its own, ${PROJECT_BINARY_DIR}/layers/
# <name>, holding one symbolic link, <folder> -> the source folder, so that
# `#include "<folder>/x.hpp"` resolves there. A target sees the roots of what it links
# (PUBLIC links pass theirs on), so `#include "app/server/http_types.hpp"` from
# adapters/s3 fails with "No such file or directory" unless kemas_s3 links kemas_http — and
# adapters never do.
function(kemas_library name folders)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "PUBLIC;PRIVATE;SOURCES")
  set(sources ${arg_SOURCES})
  foreach(folder ${folders})
    if(NOT arg_SOURCES)
      file(GLOB_RECURSE found CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${folder}/*.cpp)
      list(APPEND sources ${found})
    endif()
  endforeach()
  add_library(${name} STATIC ${sources})
  foreach(folder ${folders})
    kemas_include_root(${name} ${folder})
  endforeach()
  target_link_libraries(${name} PUBLIC ${arg_PUBLIC} PRIVATE ${arg_PRIVATE} kemas_warnings)
endfunction()

# Gives <target> the include root that makes "<folder>/..." resolve (see above). For
# executables and for libraries made with add_library directly.
function(kemas_include_root target folder)
  set(root ${PROJECT_BINARY_DIR}/layers/${target})
  get_filename_component(parent ${root}/${folder} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  if(NOT IS_SYMLINK ${root}/${folder})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${root}/${folder} SYMBOLIC)
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    target_include_directories(${target} PRIVATE ${root})
  else()
    target_include_directories(${target} PUBLIC ${root})
  endif()
endfunction()
